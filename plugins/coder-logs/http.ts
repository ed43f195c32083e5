import { X509Certificate } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { EnvHttpProxyAgent } from 'undici';
import { isNotReadable, type Logger, messageOf, readRegularFile } from 'envbox';

/** The part of `fetch` the log sink uses, so tests can hand in a fake. */
export type CoderFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

interface CoderHttp {
  fetch: CoderFetch;
  close(): Promise<void>;
}

/** What the sink reads of a reply: enough for a status and the start of a reason, never a whole endless body. */
const REPLY_LIMIT_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;

interface RawReply {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}

/**
 * The agent token travels in a header, which fetch would carry across a redirect to any origin
 * (it drops only Authorization), and from https to plain http. So redirects are followed by hand:
 * 307 and 308 within CODER_AGENT_URL's origin only (they keep the method and body); any other
 * redirect is answered as the redirect itself, with a reason that names where it pointed, and the
 * sink stops there. Every reply body is read up to REPLY_LIMIT_BYTES, the rest dropped unread.
 */
async function fetchSameOrigin(send: (url: string) => Promise<RawReply>, url: string): Promise<{ status: number; text(): Promise<string> }> {
  const origin = new URL(url).origin;
  let target = url;
  for (let hop = 0; ; hop += 1) {
    const reply = await send(target);
    const location = reply.headers.get('location');
    if (reply.status < 300 || reply.status >= 400 || location === null) return cappedReply(reply);
    await reply.body?.[Symbol.asyncIterator]().return?.();
    let next: URL;
    try {
      next = new URL(location, target);
    } catch {
      return refusedRedirect(reply.status, `a redirect to an invalid address`);
    }
    if (next.origin !== origin) {
      return refusedRedirect(reply.status, `a redirect to ${next.origin}, another origin than CODER_AGENT_URL's (${origin}); the agent token is sent only to ${origin}. If coderd moved, set CODER_AGENT_URL to its new address`);
    }
    if (reply.status !== 307 && reply.status !== 308) {
      return refusedRedirect(reply.status, `a ${reply.status} redirect, which would turn the request into a GET; set CODER_AGENT_URL to the address it redirects to`);
    }
    if (hop + 1 >= MAX_REDIRECTS) return refusedRedirect(reply.status, `more than ${MAX_REDIRECTS} redirects`);
    target = next.href;
  }
}

function refusedRedirect(status: number, reason: string) {
  return { status, text: async () => `coderd answered with ${reason}` };
}

function cappedReply(reply: RawReply) {
  return {
    status: reply.status,
    text: async () => {
      if (reply.body === null) return '';
      const kept: Buffer[] = [];
      let keptBytes = 0;
      for await (const chunk of reply.body) {
        kept.push(Buffer.from(chunk));
        keptBytes += chunk.length;
        // Leaving the loop cancels the body: the rest is never read.
        if (keptBytes >= REPLY_LIMIT_BYTES) break;
      }
      return Buffer.concat(kept).subarray(0, REPLY_LIMIT_BYTES).toString('utf8');
    },
  };
}

interface ExtraCertificates {
  certificates: string[];
  problems: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A CA bundle is a few hundred KiB at most; the system's whole bundle is about 200 KiB. */
const CERTIFICATE_FILE_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * Reads CA certificates from a PEM file or from every PEM file in a directory. Entries that are
 * directories (Kubernetes' `..data` links in a mounted secret) are skipped; an unreadable or
 * invalid file, a FIFO or a device is reported, not thrown and never opened blocking, so one bad
 * file costs only itself.
 */
export async function loadExtraCertificates(path: string): Promise<ExtraCertificates> {
  const result: ExtraCertificates = { certificates: [], problems: [] };
  let files: string[];
  try {
    files = (await stat(path)).isDirectory() ? (await readdir(path)).sort().map((name) => join(path, name)) : [path];
  } catch (error) {
    result.problems.push(`${path}: ${messageOf(error)}`);
    return result;
  }
  for (const file of files) {
    try {
      if ((await stat(file)).isDirectory()) continue;
      const text = await readRegularFile(file, CERTIFICATE_FILE_LIMIT_BYTES, { follow: true });
      if (text === null || isNotReadable(text)) {
        result.problems.push(`${file}: ${text?.problem ?? 'it is gone'}`);
        continue;
      }
      const blocks = text.match(PEM_CERTIFICATE) ?? [];
      if (blocks.length === 0) result.problems.push(`${file}: no PEM certificate in it`);
      for (const block of blocks) {
        new X509Certificate(block);
        result.certificates.push(block);
      }
    } catch (error) {
      result.problems.push(`${file}: ${messageOf(error)}`);
    }
  }
  return result;
}

/** The CAs to trust, or undefined for Node's defaults; loaded at the first request, off the start's path. */
async function trustedCertificates(options: { extraCertsPath?: string; logger: Logger }): Promise<string[] | undefined> {
  if (!options.extraCertsPath) return undefined;
  const loaded = await loadExtraCertificates(options.extraCertsPath);
  for (const problem of loaded.problems) options.logger.warn({ problem }, 'coder logs: skipped an extra CA certificate');
  options.logger.debug({ path: options.extraCertsPath, count: loaded.certificates.length }, 'coder logs: extra CA certificates loaded');
  if (loaded.certificates.length === 0) return undefined;
  const nodeExtra = process.env.NODE_EXTRA_CA_CERTS;
  const fromNode = nodeExtra ? (await loadExtraCertificates(nodeExtra)).certificates : [];
  return [...rootCertificates, ...loaded.certificates, ...fromNode];
}

/**
 * fetch through undici's EnvHttpProxyAgent, which honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
 * undici (about 1 MB of code, 50 ms to load) loads at the first request, which the sink's batching
 * sends about a second after the first line: while dockerd starts, not before envbox spawns it.
 * Extra CAs are added to the system ones: Node's `ca` option replaces the trusted set, so the
 * bundled roots (and NODE_EXTRA_CA_CERTS, which that replacement would lose) go in first.
 */
export function createCoderHttp(options: { extraCertsPath?: string; logger: Logger }): CoderHttp {
  let client: Promise<{ undici: typeof import('undici'); dispatcher: EnvHttpProxyAgent }> | undefined;
  const connect = () => client ??= Promise.all([import('undici'), trustedCertificates(options)]).then(([undici, ca]) => ({
    undici,
    dispatcher: new undici.EnvHttpProxyAgent(ca ? { connect: { ca }, requestTls: { ca }, proxyTls: { ca } } : {}),
  }));
  return {
    fetch: async (url, init) => {
      const { undici, dispatcher } = await connect();
      return fetchSameOrigin((target) => undici.fetch(target, { ...init, dispatcher, redirect: 'manual' }), url);
    },
    close: async () => {
      // destroy, not close: close waits for requests that may hang on an unreachable coderd.
      if (client) await (await client).dispatcher.destroy().catch(() => undefined);
    },
  };
}
