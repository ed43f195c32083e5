import { certsDir, extraCertsPath, InputError, trustExtraCerts, type EnvboxPlugin, type FileKind, type FileStat, type HostView, type InputProblem } from 'envbox';

/**
 * CODER_EXTRA_CERTS_PATH: trust extra CAs for the image's registry by copying them into
 * dockerd's certs.d/<registry>/ before the pull. dockerd reads that directory at each pull,
 * so no restart is needed.
 */
export function certsPlugin(): EnvboxPlugin {
  return {
    name: 'certs',
    inputs: [extraCertsPath, certsDir],
    apply({ hooks }) {
      // Checked before anything starts: a wrong path is the admin's to fix (exit 2), not a failed pull.
      hooks.configure.tap(async (options, ctx) => {
        const problem = extraCertsPathProblem(options.get(extraCertsPath), await statOrNull(ctx.host, options.get(extraCertsPath)));
        if (problem !== null) throw new InputError([problem]);
        return options;
      });

      hooks.prePull.tap(async (pull, ctx) => {
        await trustExtraCerts(ctx, pull.image.registry);
        return pull;
      });
    },
  };
}

async function statOrNull(host: HostView, path: string | undefined): Promise<FileStat | null | undefined> {
  return path === undefined ? undefined : host.stat(path);
}

const KIND_NAMES: Partial<Record<FileKind, string>> = { char: 'a character device', block: 'a block device', other: 'a FIFO or a socket' };

/**
 * Why CODER_EXTRA_CERTS_PATH cannot be used, from a stat (links followed, as a Kubernetes secret
 * volume needs; stat opens nothing, so a FIFO or /dev/stdin never blocks), or null when it can.
 */
export function extraCertsPathProblem(path: string | undefined, stat: FileStat | null | undefined): InputProblem | null {
  if (path === undefined || stat === undefined) return null;
  const example = `${extraCertsPath.env}=${extraCertsPath.example} (a PEM file, or a directory of them)`;
  if (stat === null) {
    return { variable: extraCertsPath.env, problem: `"${path}" does not exist (or a directory on its way does not); mount the certificate file or directory there, or unset the variable`, example };
  }
  if (stat.kind === 'file' || stat.kind === 'dir') return null;
  return { variable: extraCertsPath.env, problem: `"${path}" is ${KIND_NAMES[stat.kind] ?? stat.kind}, not a certificate file or a directory of them`, example };
}
