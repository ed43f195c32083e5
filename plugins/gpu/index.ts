import { InputError, coreInputs, type EnvboxPlugin } from 'envbox';
import { procGpuMounts } from './mounts.js';
import { addGpu, innerUsrLibDir, usrLibDir } from './inputs.js';
import { resolveInnerLibDir, withGpus } from './with-gpus.js';

function missingUsrLibDir(): InputError {
  return new InputError([{
    variable: usrLibDir.env,
    problem: `is required when ${addGpu.env} is true (it is where the host's /usr/lib is mounted, to find the GPU driver libraries)`,
    example: `${usrLibDir.env}=${usrLibDir.example}`,
  }]);
}

/**
 * Rootless, the workspace gets no device cgroup rules and the driver's files stay owned by ids its
 * user namespace does not map; no GPU on this machine could show it working, so it is refused. Checked
 * at configure, by the public switch ENVBOX_ROOTLESS: the daemon's identity (`ctx.daemon`) comes later.
 */
function gpuRootlessError(): InputError {
  return new InputError([{
    variable: addGpu.env,
    problem: 'is true with ENVBOX_ROOTLESS=true, and GPUs are not supported in rootless mode (untested: no path to a working GPU in the workspace is known to envbox)',
    example: `${addGpu.env}=true without ENVBOX_ROOTLESS (the privileged mode), or ${addGpu.env}=false`,
  }]);
}

/**
 * CODER_ADD_GPU: passes the outer container's GPUs to the workspace. The NVIDIA device plugin or
 * runtime gives the outer container /dev nodes, driver mounts and NVIDIA_* env vars; driver
 * libraries come from the host's /usr/lib (CODER_USR_LIB_DIR) and are bound where the image's
 * dynamic linker looks.
 */
export function gpuPlugin(): EnvboxPlugin {
  return {
    name: 'gpu',
    inputs: [addGpu, usrLibDir, innerUsrLibDir],
    apply({ hooks }) {
      hooks.configure.tap((options) => {
        if (options.get(addGpu) && options.get(coreInputs.rootless)) throw gpuRootlessError();
        if (options.get(addGpu) && options.get(usrLibDir) === undefined) throw missingUsrLibDir();
        return options;
      });

      hooks.prePull.tap(async (pull, ctx) => {
        if (!ctx.options.get(addGpu)) return pull;
        for (const path of procGpuMounts(await ctx.host.mounts())) ctx.act({ kind: 'unmount', path, bestEffort: true });
        return pull;
      });

      hooks.containerSpec.tap(async (body, ctx) => {
        if (!ctx.options.get(addGpu)) return body;
        const hostLibDir = ctx.options.get(usrLibDir);
        if (hostLibDir === undefined) throw missingUsrLibDir();
        const innerLibDir = resolveInnerLibDir(ctx.facts.osReleaseId, ctx.options.get(innerUsrLibDir));
        return withGpus(body, ctx, { hostLibDir, innerLibDir });
      });
    },
  };
}
