import { closeSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** What a generated tree holds, so a benchmark can check the walk found what is there. */
export interface LibTree {
  root: string;
  /** Every entry that is not a directory: regular files and symlinks. */
  files: number;
  dirs: number;
  /** GPU driver files and links that findGpuLibraries must report (chains included). */
  gpuPaths: number;
}

const NON_LIBS = ['.h', '.py', '.pyc', '.a', '.pc', '.conf', '.mo', '.txt'];
/** Driver libraries as the NVIDIA runtime mounts them: versioned file, soname link, dev link. */
const GPU_LIBS = ['libcuda', 'libnvidia-ml', 'libnvidia-ptxjitcompiler', 'libGLESv2_nvidia', 'libvulkan', 'libnvidia-encode'];

/**
 * A tree shaped like a host's /usr/lib: a flat multiarch dir of shared objects, and many nested
 * dirs of other files (python, perl, locale data), `files` entries in all, 100 per dir, in
 * 50 x 20 dirs two levels deep. A few GPU libraries sit in the multiarch dir with their symlink chains.
 */
export function makeLibTree(root: string, files: number): LibTree {
  const multiarch = join(root, 'x86_64-linux-gnu');
  mkdirSync(multiarch, { recursive: true });
  let made = 0;
  let dirs = 1;
  let gpuPaths = 0;
  // Synchronous on purpose: 100,000 empty files are made faster by plain syscalls than by promises.
  const touch = (path: string) => closeSync(openSync(path, 'w'));

  for (const lib of GPU_LIBS) {
    if (made + 3 > files) break;
    const real = `${lib}.so.535.104.05`;
    touch(join(multiarch, real));
    symlinkSync(real, join(multiarch, `${lib}.so.1`));
    symlinkSync(`${lib}.so.1`, join(multiarch, `${lib}.so`));
    made += 3;
    gpuPaths += 3;
  }
  const flat = Math.min(files - made, Math.max(0, Math.round(files * 0.03)));
  for (let i = 0; i < flat; i++) touch(join(multiarch, `libgeneric${i}.so.${i % 7}`));
  made += flat;

  for (let top = 0; made < files; top++) {
    for (let sub = 0; sub < 20 && made < files; sub++) {
      const dir = join(root, `pkg${top}`, `mod${sub}`);
      mkdirSync(dir, { recursive: true });
      dirs += sub === 0 ? 2 : 1;
      for (let i = 0; i < 100 && made < files; i++, made++) {
        const name = i % 10 === 0 ? `_native${i}.cpython-311-x86_64-linux-gnu.so` : `file${i}${NON_LIBS[i % NON_LIBS.length]}`;
        touch(join(dir, name));
      }
    }
  }
  return { root, files: made, dirs, gpuPaths };
}
