/**
 * The sysbox daemons' command lines, as `docker` spawns them and `plan` prints them. As in
 * coder/envbox, CODER_DISABLE_IDMAPPED_MOUNT adds `--disable-idmapped-mount` to sysbox-mgr only;
 * sysbox-fs takes no arguments.
 */
export function sysboxArgv(options: { disableIdmappedMount: boolean }): { mgr: string[]; fs: string[] } {
  return {
    mgr: ['sysbox-mgr', ...(options.disableIdmappedMount ? ['--disable-idmapped-mount'] : [])],
    fs: ['sysbox-fs'],
  };
}
