#!/usr/bin/env bash
# Prepares this machine for the integration suite and the demo. Idempotent; run as root.
# It installs the Debian packages the test world uses, creates the `coder` user whose subordinate
# ids dockerd's --userns-remap=coder needs, and builds the offline assets (images, CA, htpasswd).
# It never touches the machine's own /var/lib/docker, /etc/docker or network.
set -euo pipefail

die() { echo "envbox world setup: $*" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages, creates a user and later makes network namespaces)"

# mmdebstrap builds the envbox image's base offline (npm run image). podman and catatonit (its pods' infra
# process) run the Kubernetes examples with `podman kube play` (integration/podman-kube.test.ts). qemu-user-static
# and arch-test build and run the arm64 image on amd64 (deploy/binfmt-arm64.sh registers qemu-aarch64 in
# binfmt_misc, which the arm64 build and integration/arm64.test.ts do, not this script).
packages=(docker.io docker-registry busybox-static apache2-utils mmdebstrap podman catatonit qemu-user-static arch-test)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "envbox world setup: installing ${missing[*]}" >&2
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed; the packages ${missing[*]} are required"
  # The packages would start dockerd, containerd and a registry as host services, which would use the
  # machine's /var/lib/docker. A policy-rc.d that forbids starting services keeps the host untouched.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
  fi
  status=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$status" = 0 ] || die "apt-get install ${missing[*]} failed (exit $status)"
fi

for tool in dockerd containerd runc docker docker-registry busybox htpasswd openssl ip tc nsenter unshare mount chroot iptables tar curl node mmdebstrap; do
  command -v "$tool" >/dev/null || die "required tool '$tool' is not on PATH"
done
busybox_bin="$(command -v busybox)"
if ldd "$busybox_bin" >/dev/null 2>&1; then die "$busybox_bin is dynamically linked; the busybox-static package is required"; fi

# The remap user. Its own uid does not matter (uid 1000 is used when free); its subordinate range does:
# root in the workspace is 100000 outside and the workspace user 1000 is 101000.
if ! getent passwd coder >/dev/null; then
  if getent passwd 1000 >/dev/null; then useradd --system --no-create-home --shell /usr/sbin/nologin coder
  else useradd --uid 1000 --no-create-home --shell /usr/sbin/nologin coder; fi
fi
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -qx 'coder:100000:65536' "$f"; then
    sed -i '/^coder:/d' "$f"
    echo 'coder:100000:65536' >>"$f"
  fi
  # Another user's range overlapping 100000-165535 would make id checks ambiguous.
  if awk -F: '$1 != "coder" && $2 < 165536 && $2 + $3 > 100000 { found=1 } END { exit !found }' "$f"; then
    die "$f gives another user ids inside coder's range 100000-165535; remove that line"
  fi
done

for fs in /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/devices; do
  [ -d "$fs" ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || die "cgroup $fs is not mounted; dockerd cannot start containers"
done

"$here/build-assets.sh"
echo "envbox world setup: ready (assets in ${ENVBOX_WORLD_DIR:-/var/tmp/envbox-world})" >&2
