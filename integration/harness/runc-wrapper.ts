/**
 * A test-only OCI runtime: a shell script that edits each OCI spec runc is handed, the bundle's
 * config.json (create, run) and the process file (exec), then runs runc. Root on this VM lacks
 * CAP_SYS_RESOURCE, so the callers use it to delete what runc could not grant. A shell `exec` keeps
 * the fds and the exit status that dockerd and conmon expect.
 *
 * `editFunction` defines a shell function `edit FILE` that changes the spec in place.
 */
export function runcWrapperScript(editFunction: string): string {
  return `#!/bin/sh
${editFunction}
prev=""
for arg in "$@"; do
  case "$prev" in --bundle|-b) edit "$arg/config.json" ;; --process|-p) edit "$arg" ;; esac
  case "$arg" in --bundle=*) edit "\${arg#--bundle=}/config.json" ;; --process=*) edit "\${arg#--process=}" ;; esac
  prev="$arg"
done
exec runc "$@"
`;
}
