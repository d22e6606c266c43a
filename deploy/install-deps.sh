#!/usr/bin/env bash
# Installs the Debian 12 packages oom_exporter needs, and only those missing.
#   deploy/install-deps.sh          to build and run
#   deploy/install-deps.sh --test   also to run every test, and the pinned
#                                   npm packages of tests/deploy (npm ci)
#   deploy/install-deps.sh --image  to build and run the container image
#                                   without a Docker engine (deploy/image)
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

# buildah builds the image and podman runs it (tests/image); runc, because
# crun refuses a machine whose cgroup layout is hybrid (v1 controllers);
# mmdebstrap makes the build stage's base where no registry is reachable.
IMAGE=(podman buildah runc mmdebstrap)

want=("${BUILD[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST[@]}" "${IMAGE[@]}")
elif [[ "${1:-}" == "--image" ]]; then
  want=("${IMAGE[@]}")
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--test | --image]" >&2
  exit 2
fi

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
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Kubernetes schema checks of tests/e2e/deploy_test.sh: the versions
# pinned in tests/deploy/package-lock.json, installed again when it changes.
if [[ "${1:-}" == "--test" ]]; then
  modules=tests/deploy/node_modules
  cd "$(dirname "$0")/.."
  if ! cmp -s tests/deploy/package-lock.json "$modules/.installed-lock.json"; then
    echo "install-deps: npm ci in tests/deploy"
    npm ci --prefix tests/deploy --no-audit --no-fund --loglevel=error >/dev/null
    cp tests/deploy/package-lock.json "$modules/.installed-lock.json"
  fi
fi
