import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { EnvHttpProxyAgent } from 'undici';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/log/logger.js';

/** The part of `fetch` the log sink uses, so tests can hand in a fake. */
export type CoderFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface CoderHttp {
  fetch: CoderFetch;
  close(): Promise<void>;
}

export interface ExtraCertificates {
  certificates: string[];
  problems: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads CA certificates from a PEM file or from every PEM file in a directory. Entries that are
 * directories (Kubernetes' `..data` links in a mounted secret) are skipped; an unreadable or
 * invalid file is reported, not thrown, so one bad file costs only itself.
 */
export function loadExtraCertificates(path: string): ExtraCertificates {
  const result: ExtraCertificates = { certificates: [], problems: [] };
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).sort().map((name) => join(path, name)) : [path];
  } catch (error) {
    result.problems.push(`${path}: ${messageOf(error)}`);
    return result;
  }
  for (const file of files) {
    try {
      if (statSync(file).isDirectory()) continue;
      const blocks = readFileSync(file, 'utf8').match(PEM_CERTIFICATE) ?? [];
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

/**
 * fetch through undici's EnvHttpProxyAgent, which honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
 * undici (about 1 MB of code, 50 ms to load) loads at the first request, which the sink's batching
 * sends about a second after the first line: while dockerd starts, not before envbox spawns it.
 * Extra CAs are added to the system ones: Node's `ca` option replaces the trusted set, so the
 * bundled roots (and NODE_EXTRA_CA_CERTS, which that replacement would lose) go in first.
 */
export function createCoderHttp(options: { extraCertsPath?: string; logger: Logger }): CoderHttp {
  const extra: string[] = [];
  if (options.extraCertsPath) {
    const loaded = loadExtraCertificates(options.extraCertsPath);
    for (const problem of loaded.problems) options.logger.warn({ problem }, 'coder logs: skipped an extra CA certificate');
    options.logger.debug({ path: options.extraCertsPath, count: loaded.certificates.length }, 'coder logs: extra CA certificates loaded');
    extra.push(...loaded.certificates);
  }
  const nodeExtra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra.length > 0 && nodeExtra) extra.push(...loadExtraCertificates(nodeExtra).certificates);
  const ca = extra.length > 0 ? [...rootCertificates, ...extra] : undefined;
  let client: Promise<{ undici: typeof import('undici'); dispatcher: EnvHttpProxyAgent }> | undefined;
  const connect = () => client ??= import('undici').then((undici) => ({
    undici,
    dispatcher: new undici.EnvHttpProxyAgent(ca ? { connect: { ca }, requestTls: { ca }, proxyTls: { ca } } : {}),
  }));
  return {
    fetch: async (url, init) => {
      const { undici, dispatcher } = await connect();
      return undici.fetch(url, { ...init, dispatcher });
    },
    close: async () => {
      // destroy, not close: close waits for requests that may hang on an unreachable coderd.
      if (client) await (await client).dispatcher.destroy().catch(() => undefined);
    },
  };
}
