// Bundled in place of @grpc/grpc-js and @grpc/proto-loader. dockerode requires them at load time
// for BuildKit sessions (buildImage with version 2), which envbox never starts; as real modules they
// are most of the dockerode chunk (about 0.8 MB of source to compile on every start, and the heap
// that goes with it). Anything that reaches for them fails with this error.
'use strict';
const unsupported = () => {
  throw new Error('BuildKit sessions are not supported by the envbox bundle (@grpc/grpc-js is left out)');
};
module.exports = new Proxy({}, { get: (_target, key) => (key === '__esModule' ? false : unsupported()) });
