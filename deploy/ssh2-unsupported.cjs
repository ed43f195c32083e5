// Bundled in place of ssh2. docker-modem requires ssh2 at load time for ssh:// daemons, and ssh2
// then instantiates a WebAssembly module (poly1305) of about 16 MB that envbox never uses: it
// talks to dockerd over a unix socket or tcp. An ssh:// ENVBOX_DOCKER_HOST fails with this error.
'use strict';
class Client {
  constructor() {
    throw new Error('ssh:// Docker hosts are not supported by the envbox bundle (ssh2 is left out); use a unix:// or tcp:// ENVBOX_DOCKER_HOST');
  }
}
module.exports = { Client };
