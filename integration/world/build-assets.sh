#!/usr/bin/env bash
# Builds the offline assets of the test world into $ENVBOX_WORLD_DIR (default /var/tmp/envbox-world):
#   images/init.tar, images/noinit.tar  rootfs tarballs made from busybox-static, for `docker import`
#   images/big.tar  the init rootfs plus 24 MiB of random data: it cannot fit a 20 MiB data root
#   images/daemon-json.tar, images/daemon-json-mtu.tar  the init rootfs with an /etc/docker/daemon.json
#     of its own (other keys; an explicit "mtu"), for the inner-docker plugin
#   pki/ca.pem, pki/server.pem, pki/server.key  a CA and a cert for registry.test (and 10.99.0.1)
#   auth/htpasswd, auth/username, auth/password  bcrypt basic auth for the registry
# Cached: it rebuilds only when this script changes or a file is missing. Needs no network.
set -euo pipefail

die() { echo "envbox world assets: $*" >&2; exit 1; }
out="${ENVBOX_WORLD_DIR:-/var/tmp/envbox-world}"
stamp="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
wanted=(images/init.tar images/noinit.tar images/big.tar images/daemon-json.tar images/daemon-json-mtu.tar pki/ca.pem pki/server.pem pki/server.key auth/htpasswd auth/username auth/password)

complete=1
for f in "${wanted[@]}"; do [ -s "$out/$f" ] || complete=0; done
if [ "$complete" = 1 ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then exit 0; fi

for tool in busybox openssl htpasswd tar; do command -v "$tool" >/dev/null || die "'$tool' is missing; run integration/world/setup.sh"; done
busybox_bin="$(command -v busybox)"
if ldd "$busybox_bin" >/dev/null 2>&1; then die "$busybox_bin is dynamically linked; install busybox-static"; fi

rm -rf "$out.tmp"
mkdir -p "$out.tmp/images" "$out.tmp/pki" "$out.tmp/auth"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$out.tmp"' EXIT

make_rootfs() {
  local root="$1"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,home/coder,root,tmp,var/tmp,run,proc,sys,dev}
  cp "$busybox_bin" "$root/bin/busybox"
  chroot "$root" /bin/busybox --install -s
  # busybox installs an `init` applet (and linuxrc); the variants decide about /sbin/init themselves.
  rm -f "$root/sbin/init" "$root/linuxrc" "$root/init"
  cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
coder:x:1000:1000:coder:/home/coder:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
  cat >"$root/etc/group" <<'G'
root:x:0:
coder:x:1000:
nogroup:x:65534:
G
  cat >"$root/etc/os-release" <<'O'
PRETTY_NAME="envbox test workspace (busybox)"
NAME="Debian GNU/Linux"
ID=debian
VERSION_ID="12"
O
  chown 1000:1000 "$root/home/coder"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
}

make_rootfs "$work/noinit"
tar --numeric-owner -C "$work/noinit" -cf "$out.tmp/images/noinit.tar" .

make_rootfs "$work/init"
# A valid long-running PID 1: it exits on TERM and otherwise waits forever. `sleep & wait` keeps
# the shell able to run its trap while it waits.
cat >"$work/init/sbin/init" <<'I'
#!/bin/sh
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
I
chmod 0755 "$work/init/sbin/init"
tar --numeric-owner -C "$work/init" -cf "$out.tmp/images/init.tar" .

# The workspace's own daemon.json, which envbox must merge with, not replace.
mkdir -p "$work/init/etc/docker"
printf '{\n  "log-level": "warn",\n  "features": {"buildkit": true}\n}\n' >"$work/init/etc/docker/daemon.json"
tar --numeric-owner -C "$work/init" -cf "$out.tmp/images/daemon-json.tar" .
printf '{"mtu": 1280, "debug": true}\n' >"$work/init/etc/docker/daemon.json"
tar --numeric-owner -C "$work/init" -cf "$out.tmp/images/daemon-json-mtu.tar" .
rm -rf "$work/init/etc/docker"

# Random, so that neither the registry's gzip nor any filesystem can shrink it.
mkdir -p "$work/init/opt"
openssl rand -out "$work/init/opt/filler" $((24 * 1024 * 1024))
tar --numeric-owner -C "$work/init" -cf "$out.tmp/images/big.tar" .

# PKI: a CA and a server cert for the registry's name and address.
pki="$out.tmp/pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=envbox test CA" \
  -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=registry.test" -keyout "$pki/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:registry.test,IP:10.99.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
  -extfile "$work/ext.cnf" -out "$pki/server.pem" 2>/dev/null
rm -f "$pki/ca.srl"
chmod 0600 "$pki/ca.key" "$pki/server.key"

# Basic auth. The password is random and long so that a search for it in captured output cannot match by chance.
printf 'envbox-tester' >"$out.tmp/auth/username"
printf 'pw-%s' "$(openssl rand -hex 12)" >"$out.tmp/auth/password"
htpasswd -Bbn "$(cat "$out.tmp/auth/username")" "$(cat "$out.tmp/auth/password")" | sed '/^$/d' >"$out.tmp/auth/htpasswd"

echo "$stamp" >"$out.tmp/stamp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "envbox world assets: built in $out" >&2
