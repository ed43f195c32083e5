#!/usr/bin/env node
// A small HTTP CONNECT proxy for the test world, standing in for a corporate proxy: it asks for
// basic auth (407 otherwise), resolves names from --map (the world has no DNS), tunnels TCP, and
// prints one JSON line per request on stdout, so that a test can count what it carried.
//   node connect-proxy.mjs --listen 0.0.0.0:3128 --auth user:password --map registry.test=10.99.0.1
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { listen: { type: 'string' }, auth: { type: 'string' }, map: { type: 'string', multiple: true } } });
const [host, port] = (values.listen ?? '127.0.0.1:3128').split(':');
const names = new Map((values.map ?? []).map((m) => m.split('=')));
const expected = values.auth ? `Basic ${Buffer.from(values.auth).toString('base64')}` : null;
const report = (event) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);

const server = createServer((req, res) => {
  // Plain-HTTP proxying is not needed: registries speak TLS, which goes through CONNECT.
  report({ event: 'refused', method: req.method, url: req.url });
  res.writeHead(405).end();
});

server.on('connect', (req, client, head) => {
  const target = req.url ?? '';
  if (expected && req.headers['proxy-authorization'] !== expected) {
    report({ event: 'auth-failed', target, sentAuth: req.headers['proxy-authorization'] !== undefined });
    client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="envbox-test"\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const [name, targetPort] = target.split(':');
  const upstream = connect(Number(targetPort), names.get(name) ?? name, () => {
    report({ event: 'connect', target });
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (error) => {
    report({ event: 'upstream-error', target, error: error.message });
    client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
  });
  client.on('error', () => upstream.destroy());
});

server.listen(Number(port), host, () => report({ event: 'listening', address: `${host}:${port}` }));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
