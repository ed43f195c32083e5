#!/bin/sh
# Lets this amd64 machine run arm64 binaries, for the arm64 image's build and test: qemu-aarch64 in
# binfmt_misc, with the F flag (the kernel opens the interpreter now), so chroots and containers, which
# have no qemu of their own, run arm64 programs too. Idempotent: it changes nothing that already works,
# and it never unregisters anything of the machine's but a qemu-aarch64 rule without the F flag.
# On an arm64 machine it does nothing. Undo: echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64
set -eu
say() { echo "binfmt-arm64: $*" >&2; }
case "$(uname -m)" in aarch64|arm64) exit 0 ;; esac
[ "$(id -u)" = 0 ] || { say "must run as root (binfmt_misc is the kernel's)"; exit 1; }
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
if [ ! -f "$conf" ] || ! command -v arch-test >/dev/null; then
  say "installing qemu-user-static and arch-test"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends qemu-user-static arch-test >/dev/null
fi
dir=/proc/sys/fs/binfmt_misc
if [ ! -e "$dir/register" ]; then
  mount -t binfmt_misc binfmt_misc "$dir"
  say "mounted binfmt_misc on $dir"
fi
rule="$dir/qemu-aarch64"
if [ -e "$rule" ] && ! grep -q '^flags:.*F' "$rule"; then
  # A rule without F works for the host's own processes but not in containers: replace it with Debian's.
  say "replacing a qemu-aarch64 rule without the F flag"
  echo -1 >"$rule"
fi
if [ ! -e "$rule" ]; then
  grep -v '^#' "$conf" | grep -m1 ':qemu-aarch64:' >"$dir/register"
  say "registered qemu-aarch64 ($(sed -n 's/^interpreter //p' "$rule"))"
fi
[ "$(head -n1 "$rule")" = enabled ] || { echo 1 >"$rule"; say "enabled qemu-aarch64"; }
# The proof: an arm64 program runs.
arch-test arm64 >/dev/null || { say "arm64 binaries still do not run (arch-test arm64: $(arch-test arm64 2>&1))"; exit 1; }
