/** Mount points of GPU drivers and devices, as the NVIDIA and Vulkan runtimes name them. */
export const GPU_MOUNT = /(nvidia|vulkan|cuda)/i;

/**
 * Driver libraries in the host's /usr/lib. `libgl(e|sx|\.)` takes libGL.so*, libGLESv*, libGLSX*; the glvnd
 * dispatchers libGLX.so and libEGL.so are the image's own, while their NVIDIA back ends match `nvidia`.
 */
export const GPU_LIBRARY = /(libgl(e|sx|\.)|nvidia|vulkan|cuda)/i;

/** `libfoo.so`, `libfoo.so.1`, `libfoo.so.535.104.05`. */
export const SHARED_OBJECT = /\.so(\.[0-9.]+)?$/;

/** Env vars that the NVIDIA container runtime reads (NVIDIA_VISIBLE_DEVICES, NVIDIA_DRIVER_CAPABILITIES, ...). */
export const GPU_ENV = /nvidia/i;

/** True when `path` is `dir` itself or lies below it. */
export function isInside(dir: string, path: string): boolean {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(prefix);
}
