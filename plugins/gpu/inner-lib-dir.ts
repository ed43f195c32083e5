/** Debian and Ubuntu keep libraries in a multiarch directory, which depends on the CPU. */
const MULTIARCH: Readonly<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/**
 * Where the workspace's dynamic linker looks for driver libraries, from the image's
 * /etc/os-release ID. Anything unknown gets /usr/lib, which every distribution searches.
 */
export function innerLibDirFor(osReleaseId: string, arch: string = process.arch): string {
  switch (osReleaseId) {
    case 'debian':
    case 'ubuntu': {
      const multiarch = MULTIARCH[arch];
      return multiarch === undefined ? '/usr/lib' : `/usr/lib/${multiarch}`;
    }
    case 'fedora':
    case 'rhel':
      return '/usr/lib64';
    default:
      return '/usr/lib';
  }
}
