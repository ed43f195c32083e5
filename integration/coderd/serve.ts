// The coderd stand-in as a process of its own, for scenarios where envbox runs in another network
// namespace (a sandbox): the stand-in must listen on that namespace's 127.0.0.1, so it runs there too.
//
//   CODERD_STANDIN_TOKEN=... node --import tsx integration/coderd/serve.ts \
//     --cert server.pem --key server.key --out received.json [--unauthorized-first N]
//
// It writes `--out` (atomically, via a rename) once it listens and again after every request:
// `{ url, received, requests, sources }`. SIGTERM or SIGINT writes it a last time, closes, exits 0.
// The token comes from the environment, not argv, so it is not in any process listing.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCoderdStandIn, type CoderdStandIn } from './standin.js';

export interface StandInSnapshot {
  url: string;
  received: CoderdStandIn['received'];
  requests: CoderdStandIn['requests'];
  sources: Record<string, { display_name: string; icon: string }>;
}

const POLL_MS = 50;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cert: { type: 'string' },
      key: { type: 'string' },
      out: { type: 'string' },
      'unauthorized-first': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const token = process.env.CODERD_STANDIN_TOKEN;
  if (!values.cert || !values.key || !values.out || !token) {
    throw new Error('usage: CODERD_STANDIN_TOKEN=... serve.ts --cert FILE --key FILE --out FILE [--unauthorized-first N]');
  }
  const out = values.out;
  const coderd = await startCoderdStandIn({
    token,
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
    unauthorizedFirst: Number(values['unauthorized-first']),
  });

  const write = (): void => {
    const snapshot: StandInSnapshot = { url: coderd.url, received: coderd.received, requests: coderd.requests, sources: Object.fromEntries(coderd.sources) };
    writeFileSync(`${out}.tmp`, JSON.stringify(snapshot));
    renameSync(`${out}.tmp`, out);
  };
  write();
  // The stand-in records a request after answering it; polling its count keeps standin.ts unchanged.
  let written = 0;
  const timer = setInterval(() => {
    if (coderd.requests.length === written) return;
    written = coderd.requests.length;
    write();
  }, POLL_MS);

  const stop = (): void => {
    clearInterval(timer);
    write();
    void coderd.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`coderd stand-in: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
