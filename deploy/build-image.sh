#!/usr/bin/env bash
# `npm run image`: builds envbox:latest from deploy/Dockerfile and writes `docker save` output to
# dist/envbox-image.tar. Run as root on Debian 12 or 13; it installs what it needs (mmdebstrap).
# ENVBOX_IMAGE_ARCH=amd64 (default), arm64 or all: deploy/arch.sh (arm64 runs under qemu-user-static here).
#
#   Offline (default): the base is a Debian minbase with deploy/packages, made by mmdebstrap from the
#     machine's Debian mirror and loaded with `docker import`. Its release is ENVBOX_IMAGE_SUITE: trixie
#     (Debian 13, dockerd 26) by default, or bookworm (Debian 12, dockerd 20.10) for a site that needs it.
#     It is cached by the hash of its inputs in $ENVBOX_IMAGE_CACHE (default /var/tmp/envbox-image-cache); ENVBOX_IMAGE_REFRESH_BASE=1
#     makes it again (for security updates).
#   Real: ENVBOX_IMAGE_BASE=debian:trixie-slim pulls that base and installs the packages with apt.
#   Sysbox: the offline build has none (it cannot download). A real build installs the sysbox-ce .deb that
#     deploy/Dockerfile pins; SYSBOX_DEB_URL and SYSBOX_DEB_SHA256 (both, or neither) name another.
#
# The daemon: the one DOCKER_HOST (or the default socket) names if it answers; otherwise a private
# dockerd with its own data root, exec root, socket and pidfile under the cache dir, no bridge and no
# iptables changes, stopped at the end. Its data root is kept, so the next build reuses its layers.
set -euo pipefail

die() { echo "envbox image: $*" >&2; exit 1; }
say() { echo "envbox image: $*" >&2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# The official node binary; version and npm integrity pinned so the image is reproducible.
NODE_VERSION=24.22.3
NODE_INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='
# The Debian release of the offline base.
suite="${ENVBOX_IMAGE_SUITE:-trixie}"
# deploy/packages, for $suite: a line's first word is the package; a word "-SUITE" after it leaves it out there.
packages_for() { awk -v suite="$1" '{ sub(/#.*/, "") } NF { for (i = 2; i <= NF; i++) if ($i == "-" suite) next; print $1 }' deploy/packages; }
# The Debian entries ("deb URI SUITE COMPONENTS") of this machine's apt sources, one-line and deb822, whose
# suite is the machine's release or its -updates/-security, with that release replaced by $2: the same
# mirror serves every release. Third-party sources (other suites) are left out.
debian_sources() {
  local from="$1" to="$2" f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v from="$from" -v to="$to" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
        s = $(i + 1); comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
        if (s ~ ("^" from "(-updates|-security)?$")) { sub("^" from, to, s); print "deb " $i " " s comps } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v from="$from" -v to="$to" 'BEGIN { RS = ""; FS = "\n" } {
        delete v; for (k = 1; k <= NF; k++) if ($k !~ /^#/ && match($k, /^[A-Za-z-]+:/)) { val = substr($k, RLENGTH + 1); gsub(/^[ \t]+|[ \t]+$/, "", val); v[tolower(substr($k, 1, RLENGTH - 1))] = val }
        if (v["types"] !~ /(^|[ \t])deb([ \t]|$)/ || v["enabled"] ~ /no/) next
        nu = split(v["uris"], uris, " "); ns = split(v["suites"], suites, " ")
        for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) { s = suites[b]
          if (s ~ ("^" from "(-updates|-security)?$")) { sub("^" from, to, s); print "deb " uris[a] " " s " " v["components"] } } }' "$f"
  done
}
# The apt sources of the offline base: ENVBOX_IMAGE_MIRRORS (one "deb URI SUITE COMPONENTS" line each,
# e.g. a local mirror), or else the Debian entries of the sources apt on this machine uses, for $suite.
if [ -n "${ENVBOX_IMAGE_MIRRORS:-}" ]; then
  mapfile -t MIRRORS <<<"$ENVBOX_IMAGE_MIRRORS"
else
  host_suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  mapfile -t MIRRORS < <(debian_sources "$host_suite" "$suite" | awk '!seen[$0]++')
  [ "${#MIRRORS[@]}" -gt 0 ] || die "no Debian entry for ${host_suite:-this release} in /etc/apt/sources.list*: set ENVBOX_IMAGE_MIRRORS"
fi
cache="${ENVBOX_IMAGE_CACHE:-/var/tmp/envbox-image-cache}"
tag="${ENVBOX_IMAGE_TAG:-envbox:latest}"
# shellcheck source=deploy/arch.sh
. "$repo/deploy/arch.sh"
arch_build_all "${BASH_SOURCE[0]}"
base="${ENVBOX_IMAGE_BASE:-}"
started=$(date +%s.%N)
elapsed() { awk -v s="$started" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap and a private dockerd need it)"
if [ -n "${SYSBOX_DEB_URL:-}" ] && [ -z "${SYSBOX_DEB_SHA256:-}" ]; then die "SYSBOX_DEB_SHA256 must be given with SYSBOX_DEB_URL"; fi
mkdir -p "$cache"
# One build at a time per cache (they share the base tarball and the private dockerd).
exec 9>"$cache/.lock"
flock 9
arch_setup

apt_install() {
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- the node binary (dist/image/, dist/image-<arch>/) ---
[ -d node_modules ] || npm ci --no-audit --no-fund

node_tgz="$arch_cache/$node_package-$node_version.tgz"
if [ ! -s "$node_tgz" ]; then
  say "fetching node $node_version (npm pack $node_package)"
  got="$(cd "$arch_cache" && npm pack --json "$node_package@$node_version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].integrity))')"
  [ "$got" = "$node_integrity" ] || { rm -f "$node_tgz"; die "$node_package@$node_version has integrity $got, expected $node_integrity"; }
fi
if [ ! -x "$repo/$image_dir/node" ] || [ "$node_tgz" -nt "$repo/$image_dir/node" ]; then
  tar -xzf "$node_tgz" -O package/bin/node >"$repo/$image_dir/node.tmp"
  chmod 0755 "$repo/$image_dir/node.tmp"
  mv "$repo/$image_dir/node.tmp" "$repo/$image_dir/node"
fi

# --- the daemon ---
private=""
if docker info >/dev/null 2>&1; then
  say "using the running Docker daemon (${DOCKER_HOST:-default socket})"
else
  command -v dockerd >/dev/null || apt_install docker.io
  private="$cache/dockerd"
  mkdir -p "$private/data" "$private/exec" "$private/etc-docker"
  # A private dockerd left by a build that was killed holds the pidfile: stop it first.
  stale="$(cat "$private/docker.pid" 2>/dev/null || true)"
  if [ -n "$stale" ] && grep -qs "$private/data" "/proc/$stale/cmdline"; then
    say "stopping the private dockerd a killed build left (pid $stale)"
    kill -TERM "$stale"
    for _ in $(seq 1 150); do kill -0 "$stale" 2>/dev/null || break; sleep 0.1; done
  fi
  export DOCKER_HOST="unix://$private/docker.sock"
  # Its own /etc/docker (dockerd 20.10 writes key.json there) in a private mount namespace; no bridge,
  # no iptables or ip_forward changes: RUN steps use the host network.
  unshare --mount --propagation private sh -c 'mount --bind "$1" /etc/docker && shift && exec "$@"' sh "$private/etc-docker" \
    dockerd --host="$DOCKER_HOST" --data-root="$private/data" --exec-root="$private/exec" --pidfile="$private/docker.pid" \
      --bridge=none --iptables=false --ip-forward=false --ip-masq=false >"$private/dockerd.log" 2>&1 9>&- &
  dockerd_pid=$!
  stop_private() {
    kill -TERM "$dockerd_pid" 2>/dev/null || return 0
    for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
  }
  trap stop_private EXIT
  for _ in $(seq 1 300); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || die "the private dockerd exited: $(tail -5 "$private/dockerd.log")"
    sleep 0.1
  done
  docker info >/dev/null 2>&1 || die "the private dockerd did not answer within 30 s (log: $private/dockerd.log)"
  say "started a private dockerd ($DOCKER_HOST, data root $private/data)"
fi

# --- the offline base ---
if [ -z "$base" ]; then
  excludes=()
  while read -r line; do case "$line" in ''|'#'*) ;; *) excludes+=("--dpkgopt=$line") ;; esac; done <deploy/dpkg-excludes
  include="$(packages_for "$suite" | paste -sd, -)"
  # Everything the base depends on: a change to any of it makes a new base.
  key="$( { printf '%s\n' "v1" "$suite" "$include" "${excludes[@]}" "${MIRRORS[@]}" $(arch_mmdebstrap_args); for m in "${MIRRORS[@]}"; do [ ! -f "$m" ] || cat "$m"; done; } | sha256sum | cut -c1-16)"
  base="$base_repo:$key"
  base_tar="$arch_cache/base-$key.tar"
  if [ -n "${ENVBOX_IMAGE_REFRESH_BASE:-}" ]; then rm -f "$base_tar"; docker image rm "$base" >/dev/null 2>&1 || true; fi
  # (An image of the same name for another architecture is one an earlier build mislabelled: made again.)
  if [ "$(docker image inspect -f '{{.Architecture}}' "$base" 2>/dev/null)" != "$ENVBOX_IMAGE_ARCH" ]; then
    if [ ! -s "$base_tar" ]; then
      rm -rf "$base_tar.partial"
      command -v mmdebstrap >/dev/null || apt_install mmdebstrap
      say "making the $ENVBOX_IMAGE_ARCH $suite base with mmdebstrap --variant=minbase ($include)"
      # Purging usrmerge and perl: init-system-helpers is satisfied by usr-is-merged, and nothing else needs perl.
      # (apt's autoremove keeps the first alternative of an OR dependency, so usrmerge is purged by name.)
      purge='apt-get purge -y -qq usrmerge >/dev/null
        perls="$(dpkg-query -W -f="\${Package}\n" | grep -E "^(perl|perl-modules-.*|libperl.*|libgdbm.*|lib.*-perl)$" || true)"
        [ -z "$perls" ] || apt-mark auto $perls >/dev/null
        apt-get -o APT::AutoRemove::RecommendsImportant=false -o APT::AutoRemove::SuggestsImportant=false autoremove --purge -y -qq >/dev/null
        if dpkg-query -W -f="\${Status}" perl 2>/dev/null | grep -q "ok installed"; then echo "perl is still installed" >&2; exit 1; fi'
      # Reproducible timestamps: the last commit of the base's inputs.
      epoch="$(git log -1 --format=%ct -- deploy/packages deploy/dpkg-excludes 2>/dev/null || true)"
      SOURCE_DATE_EPOCH="${epoch:-0}" \
        mmdebstrap --quiet --format=tar --variant=minbase $(arch_mmdebstrap_args) --include="$include" "${excludes[@]}" \
          --customize-hook="chroot \"\$1\" sh -ec '$purge'" \
          "$suite" "$base_tar.partial" "${MIRRORS[@]}"
      mv "$base_tar.partial" "$base_tar"
      # Bases made from other inputs are stale now.
      find "$arch_cache" -maxdepth 1 -name 'base-*.tar' ! -name "base-$key.tar" -delete
    fi
    say "importing the base as $base"
    arch_import_base "$base_tar" "$base"
  fi
fi

# --- the bundle (dist/image/envbox/, dist/image-<arch>/envbox/) ---
# Its code cache is made by the image's own node: V8 accepts a cache only from the node that made it.
arch_bundle

# --- the image ---
# The Dockerfile's pinned sysbox-ce unless SYSBOX_DEB_URL names another; the offline base has none (no download).
sysbox_args=()
if [ -n "${SYSBOX_DEB_URL:-}" ]; then sysbox_args=(--build-arg "SYSBOX_DEB_URL=$SYSBOX_DEB_URL" --build-arg "SYSBOX_DEB_SHA256=$SYSBOX_DEB_SHA256")
elif [ -z "${ENVBOX_IMAGE_BASE:-}" ]; then sysbox_args=(--build-arg SYSBOX_DEB_URL= --build-arg SYSBOX_DEB_SHA256=); say "offline: no sysbox in the image"; fi
version="$(node -p 'require("./package.json").version')"
say "building $tag from $base (at $(elapsed) s)"
DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}" docker build "${platform[@]}" --network=host -f deploy/Dockerfile -t "$tag" \
  --build-arg "BASE=$base" --build-arg "IMAGE_DIR=$image_dir" --build-arg "ENVBOX_VERSION=$version" \
  "${sysbox_args[@]}" . >"$cache/build.log" 2>&1 \
  || { tail -n 30 "$cache/build.log" >&2; die "docker build failed (whole log: $cache/build.log)"; }
say "built at $(elapsed) s; saving"
docker save -o "$out.tmp" "$tag"
mv "$out.tmp" "$out"
arch_publish
size="$(docker image inspect -f '{{.Size}}' "$tag")"
say "$tag is $((size / 1000000)) MB; saved to ${out#"$repo/"} in $(elapsed) s. Layers:"
docker history --format '  {{.Size}}\t{{.CreatedBy}}' "$tag" | cut -c1-120 >&2
