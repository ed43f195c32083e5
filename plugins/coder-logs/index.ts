import { coreInputs, type EnvboxPlugin, extraCertsPath, LOG_FLUSH_MS } from 'envbox';
import { agentUrl } from './inputs.js';
import type { CoderLogSink } from './sink.js';

/**
 * CODER_AGENT_URL with CODER_AGENT_TOKEN: every build-log line also goes to coderd, under the
 * "envbox" log source, without ever delaying or failing the start (see sink.ts).
 */
export function coderLogsPlugin(): EnvboxPlugin {
  let stream: typeof import('./sink.js') | undefined;
  /** undefined: not decided yet; null: not sending (plan, no URL, or closed). */
  let sink: CoderLogSink | null | undefined;
  const close = async () => {
    const open = sink;
    sink = null;
    await open?.close(LOG_FLUSH_MS);
  };
  return {
    name: 'coder-logs',
    inputs: [agentUrl, extraCertsPath],
    apply({ hooks, stages }) {
      hooks.configure.tap({ stage: stages.POLICY }, async (options, ctx) => {
        // The sink loads only when lines go to coderd (and undici only at its first request).
        if (ctx.mode === 'docker' && options.get(agentUrl) && options.get(coreInputs.agentToken)) stream = await import('./sink.js');
        return options;
      });

      hooks.buildLog.tap((entry, ctx) => {
        if (sink === undefined) {
          const url = ctx.options.get(agentUrl);
          const token = ctx.options.get(coreInputs.agentToken);
          const certs = ctx.options.get(extraCertsPath);
          sink = stream && url && token ? stream.createCoderLogSink({ url, token, logger: ctx.log, ...(certs ? { extraCertsPath: certs } : {}) }) : null;
        }
        sink?.write(entry);
      });

      // What is queued goes out at once when envbox begins to stop (last, after the lines of every other
      // tap); the sink closes only on exit, after the final line (`stopped in …`, or the error's cleanup).
      // Not waited for here: the shutdown budget counts LOG_FLUSH_MS once, at the end.
      const hurry = async () => { await sink?.flush(0); };
      hooks.failed.tap({ stage: stages.POLICY }, hurry);
      hooks.shutdown.tap({ stage: stages.POLICY }, hurry);
      hooks.exit.tap({ stage: stages.POLICY }, close);
    },
  };
}
