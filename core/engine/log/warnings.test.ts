import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BuildLog } from '../../kernel/build-log.js';
import { createLogger } from './logger.js';
import { SecretScrubber } from '../../kernel/scrub.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write(text: string) { lines.push(...text.split('\n').filter(Boolean)); return true; } } };
}

describe('warnings without CODER_DEBUG', () => {
  it('become build-log lines, so stderr holds nothing else', () => {
    const out = capture();
    const secrets = new SecretScrubber();
    secrets.add(['s3cret-value-123']);
    const buildLog = new BuildLog(out.stream, () => new Date(0), secrets);
    const log = createLogger({ debug: false, scrub: (l) => secrets.scrub(l), buildLog });
    log.debug({ ignored: true }, 'not shown');
    log.info('not shown either');
    log.warn({ path: '/dev/nvidia0', error: 'gone s3cret-value-123' }, 'gpu: skipping a /dev mount');
    log.warn('plain');
    assert.deepEqual(out.lines.map((l) => JSON.parse(l)), [
      { output: 'Warning: gpu: skipping a /dev mount (path: /dev/nvidia0, error: gone [redacted])', time: '1970-01-01T00:00:00.000Z', type: 'info' },
      { output: 'Warning: plain', time: '1970-01-01T00:00:00.000Z', type: 'info' },
    ]);
  });

  it('stay pino lines with CODER_DEBUG', () => {
    const out = capture();
    const buildLog = new BuildLog(capture().stream);
    const log = createLogger({ debug: true, scrub: (l) => l, buildLog, destination: out.stream as unknown as NodeJS.WritableStream });
    log.warn({ path: '/x' }, 'careful');
    const line = JSON.parse(out.lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(line.level, 40);
    assert.equal(line.msg, 'careful');
  });

  it('with CODER_DEBUG a warning stays a pino line only, and is kept for envbox status', () => {
    const pinoOut = capture();
    const buildOut = capture();
    const buildLog = new BuildLog(buildOut.stream, () => new Date(0));
    const heard: string[] = [];
    buildLog.onWarning((text) => heard.push(text));
    const log = createLogger({ debug: true, scrub: (l) => l, buildLog, destination: pinoOut.stream as unknown as NodeJS.WritableStream });
    log.debug('only in the debug log');
    log.warn({ path: '/x' }, 'careful');
    assert.deepEqual(pinoOut.lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['only in the debug log', 'careful']);
    assert.deepEqual(buildOut.lines, []);
    assert.deepEqual(heard, ['careful (path: /x)']);
  });
});
