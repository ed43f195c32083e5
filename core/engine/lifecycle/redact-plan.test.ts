import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { propertyOptions } from '../../../test/properties/settings.js';
import { redactEnvValue, type SecretFields } from './redact-plan.js';

const NONE: SecretFields = { names: new Set(), values: new Set() };

describe('redactEnvValue', () => {
  it('hides the password of a URL in any env value, the rest readable', () => {
    assert.equal(redactEnvValue('PROXY', 'http://alice:pw-0001@proxy:3128', NONE), 'http://alice:[redacted]@proxy:3128');
    assert.equal(redactEnvValue('PROXY', 'http://proxy:3128/a@b', NONE), 'http://proxy:3128/a@b');
  });

  it("hides a password that holds '@' whole: the userinfo ends at the last '@' before the host, as in Go", () => {
    assert.equal(redactEnvValue('PROXY', 'http://alice:pw@rest-of-it@proxy:3128/x', NONE), 'http://alice:[redacted]@proxy:3128/x');
    assert.equal(redactEnvValue('PROXY', 'http://al@ce:pw-0002@proxy:3128', NONE), 'http://al@ce:[redacted]@proxy:3128');
    assert.equal(redactEnvValue('URLS', 'http://a:pw-0003@h1,http://b:pw@0004@h2', NONE).includes('pw'), false);
  });
});

/**
 * Redacts values in a worker thread, so that a redaction that blocks (as a backtracking pattern did:
 * 17 s for 80,000 characters) blocks only the worker and the test's own timeout can fail the test.
 */
class RedactingWorker {
  private readonly worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    require(workerData.tsx).tsImport(workerData.module, workerData.module).then(({ redactEnvValue }) => {
      parentPort.on('message', (value) => parentPort.postMessage(redactEnvValue('NO_PROXY', value, { names: new Set(), values: new Set() })));
      parentPort.postMessage('ready');
    });`, { eval: true, workerData: { tsx: fileURLToPath(import.meta.resolve('tsx/esm/api')), module: new URL('./redact-plan.ts', import.meta.url).href } });

  /** Resolves once the module is loaded, so that loading it is not counted against a test's timeout. */
  readonly ready = this.next();

  /** Held (kept referenced) only while an answer is awaited; `stop` ends a worker stuck in a pattern. */
  private next(): Promise<string> {
    this.worker.ref();
    return new Promise<string>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    }).finally(() => this.worker.unref());
  }

  redact(value: string): Promise<string> {
    const answer = this.next();
    this.worker.postMessage(value);
    return answer;
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

describe('redactEnvValue on long values (any env value reaches the plan: NO_PROXY, a CODER_INNER_ENVS variable)', () => {
  // One worker per test, so that one stuck in a pattern does not hold the next test's value.
  let worker: RedactingWorker;
  beforeEach(async () => { worker = new RedactingWorker(); await worker.ready; });
  afterEach(() => { void worker.stop(); });

  // No time is measured: the test's timeout is the bound, far above a linear pass and far below the backtracking.
  it('redacts an 80,000-character value with no "://" in one pass', { timeout: 5000 }, async () => {
    const value = 'x'.repeat(80_000);
    assert.equal(await worker.redact(value), value);
  });

  it('redacts every URL password in an 80,000-character value of scheme characters and URLs', { timeout: 5000 }, async () => {
    const value = `${'http:'.repeat(2_000)}http://u:pw-0005@h,${'a'.repeat(70_000)}`;
    const redacted = await worker.redact(value);
    assert.equal(redacted.includes('pw-0005'), false);
    assert.equal(redacted, value.replace('pw-0005', '[redacted]'));
  });
});

describe('property: the one-pass redaction hides what the former pattern hid, on short values', () => {
  // The former pattern, kept here as the reference: right, but quadratic on long values.
  const FORMER = /([a-z][a-z0-9+.-]*:\/\/[^:/?#\s]*:)[^/?#\s]*@/gi;
  const text = fc.string({ unit: fc.constantFrom(...'ab1+.-:/?#@ \t,xH'), maxLength: 40 });
  const url = fc.tuple(fc.constantFrom('http', 'HTTPS', 's3+x', '1a', ''), fc.constantFrom('://', ':/', '//'), fc.constantFrom('u', '', 'a@b', 'u:p'), fc.constantFrom(':pw', ':p@w', '', ':'), fc.constantFrom('@h', '@h:1/x', '@', ''))
    .map((parts) => parts.join(''));

  it('redactEnvValue equals the former replace on mixed text and URLs', () => {
    fc.assert(fc.property(fc.array(fc.oneof(text, url), { maxLength: 5 }).map((parts) => parts.join('')), (value) => {
      assert.equal(redactEnvValue('V', value, NONE), value === '' ? value : value.replace(FORMER, '$1[redacted]@'));
    }), propertyOptions(2000));
  });
});
