#!/usr/bin/env bash
# Installs the Debian 12 packages oom_exporter needs, and only those missing.
#   deploy/install-deps.sh          to build and run
#   deploy/install-deps.sh --test   also to run every test, and the pinned
#                                   npm packages of tests/deploy (npm ci)
#   deploy/install-deps.sh --arm64  also to cross-build for arm64 and run its
#                                   tests under emulation (tests/arm64/run.sh)
#   deploy/install-deps.sh --image  only to build and run the container image
#                                   without a Docker engine (deploy/image)
# The options combine; --test includes --image.
# Runs apt-get update only when something has to be installed. Needs root
# for that.
set -euo pipefail

# libssl-dev, libyaml-dev, libcrypt-dev: TLS, the web config and its bcrypt
# hashes (--web.config.file).
BUILD=(g++ cmake make git libabsl-dev libcivetweb-dev prometheus-cpp-dev zlib1g-dev
  libssl-dev libyaml-dev libcrypt-dev)
# prometheus: the server and promtool (rules, the dashboards' queries);
# nodejs and npm: the dashboards' type check against Grafana's schema
# (tests/dashboards) and the Kubernetes manifests' (tests/deploy); yamllint,
# systemd (systemd-analyze) and strace: the deployment files' checks; openssl:
# the TLS test's certificates.
# qemu-system-x86, busybox-static, cpio, mmdebstrap and zstd: the real-kernel
# matrix (tests/vm), which boots Debian's kernels with a busybox initramfs
# and a Debian 12 userland with systemd; libc6-dev: its static helpers.
TEST=(libgtest-dev libgmock-dev prometheus curl clang-format clang-14 libclang-rt-14-dev
  yamllint systemd nodejs npm strace openssl
  qemu-system-x86 busybox-static cpio mmdebstrap zstd libc6-dev)
# The arm64 build (tests/arm64/run.sh): Debian's cross compiler, QEMU's user
# mode emulator to run the arm64 tests, and mmdebstrap for the arm64 sysroot
# of the -dev packages (unpacked, never installed on the host).
ARM64=(g++-aarch64-linux-gnu qemu-user-static mmdebstrap)

# buildah builds the image and podman runs it (tests/image); runc, because
# crun refuses a machine whose cgroup layout is hybrid (v1 controllers);
# mmdebstrap makes the build stage's base where no registry is reachable.
IMAGE=(podman buildah runc mmdebstrap)

want=("${BUILD[@]}")
test=0
for option in "$@"; do
  case $option in
    --test) want+=("${TEST[@]}" "${IMAGE[@]}"); test=1 ;;
    --arm64) want+=("${ARM64[@]}") ;;
    --image) want+=("${IMAGE[@]}") ;;
    *) echo "usage: $0 [--test] [--arm64] [--image]" >&2; exit 2 ;;
  esac
done
# The image builds in a container of its own: --image alone needs no compiler
# here.
[[ "$*" != --image ]] || want=("${IMAGE[@]}")

# A package counts as installed when an installed package has its name or
# provides it (e.g. a nodejs build that bundles npm).
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Provides}\n' 2>/dev/null |
  awk '$1 == "ii" { for (i = 2; i <= NF; i++) { sub(/,$/, "", $i); if ($i ~ /^[a-z0-9][a-z0-9.+-]+$/) printf "%s ", $i } }')"
missing=()
for package in "${want[@]}"; do
  [[ "$installed" == *" $package "* ]] || missing+=("$package")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root, or install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another apt or dpkg at work (an unattended upgrade, a second install) is
  # waited for, up to 10 minutes, instead of failing at once on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Kubernetes schema checks of tests/e2e/deploy_test.sh: the versions
# pinned in tests/deploy/package-lock.json, installed again when it changes.
if [[ $test == 1 ]]; then
  modules=tests/deploy/node_modules
  cd "$(dirname "$0")/.."
  if ! cmp -s tests/deploy/package-lock.json "$modules/.installed-lock.json"; then
    echo "install-deps: npm ci in tests/deploy"
    npm ci --prefix tests/deploy --no-audit --no-fund --loglevel=error >/dev/null
    cp tests/deploy/package-lock.json "$modules/.installed-lock.json"
  fi
fi
