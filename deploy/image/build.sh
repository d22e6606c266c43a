#!/usr/bin/env bash
# Builds the container image from the Dockerfile without a Docker engine,
# with buildah, as root:
#   deploy/image/build.sh                    this machine's architecture
#   deploy/image/build.sh --arch arm64       cross-built for arm64
#   deploy/image/build.sh --tag NAME         default oom_exporter:VERSION-ARCH
# Installs what is missing (deploy/install-deps.sh --image). The build
# stage's base, debian:bookworm, is used when podman/buildah already hold it
# (pulled from a registry, say); else it is made from Debian's packages with
# mmdebstrap (about 30 s, cached as a tarball in $OOM_IMAGE_CACHE, default
# /var/cache/oom_exporter-image) and imported, since no registry need be
# reachable. The image is in the Docker format, which keeps the HEALTHCHECK
# (OCI images have none). Prints the image's name on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

arch=$(dpkg --print-architecture)
tag=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    --tag) tag=${2:?--tag needs a name}; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    *) echo "usage: $0 [--arch amd64|arm64] [--tag NAME]" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64 | arm64) ;;
  *) echo "build.sh: --arch $arch: only amd64 and arm64 are built" >&2; exit 2 ;;
esac

deploy/install-deps.sh --image
version=$(sed -n 's/^project(oom_exporter VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# The source's address, when this clone has one that is not a local path.
source=$(git remote get-url origin 2>/dev/null || true)
[[ "$source" == *://* || "$source" == *@*:* ]] || source=""
[[ -n "$tag" ]] || tag="oom_exporter:$version-$arch"

base=docker.io/library/debian:bookworm
if ! podman image exists "$base"; then
  cache=${OOM_IMAGE_CACHE:-/var/cache/oom_exporter-image}
  tarball="$cache/bookworm-$(dpkg --print-architecture).tar"
  if [[ ! -s "$tarball" ]]; then
    echo "build.sh: making $base with mmdebstrap into $tarball"
    mkdir -p "$cache"
    # The variant Debian's official image is made with: Essential packages
    # and apt.
    mmdebstrap --quiet --variant=apt --format=tar bookworm "$tarball.tmp" \
      "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main"
    mv "$tarball.tmp" "$tarball"
  fi
  podman import --quiet "$tarball" "$base" >/dev/null
fi

# --layers keeps the package installation between builds on this machine.
# buildah 1.28 does not set the platform arguments that Docker's BuildKit
# sets, so they are given here; the build stage runs on this machine's
# architecture and cross-compiles for $arch.
buildah bud --isolation chroot --network host --pull=never --layers \
  --format docker --arch "$arch" \
  --build-arg BUILDPLATFORM="linux/$(dpkg --print-architecture)" --build-arg TARGETARCH="$arch" \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  --build-arg SOURCE="$source" --tag "$tag" --file Dockerfile . >&2
echo "$tag"
