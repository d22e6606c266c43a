#!/usr/bin/env bash
# Installs the Debian 12 packages oom_exporter needs, and only those missing.
#   deploy/install-deps.sh          to build and run
#   deploy/install-deps.sh --test   also to run every test
# Runs apt-get update only when something has to be installed. Needs root.
set -euo pipefail

BUILD=(g++ cmake make git libabsl-dev libcivetweb-dev prometheus-cpp-dev zlib1g-dev)
# prometheus: the server and promtool (rules, dashboards' queries); nodejs and
# npm: the dashboards' type check against Grafana's schema (tests/dashboards).
TEST=(libgtest-dev libgmock-dev prometheus curl clang-format clang-14 libclang-rt-14-dev nodejs)

want=("${BUILD[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${TEST[@]}")
  # Debian packages npm apart from nodejs; other builds of nodejs bundle it
  # (and conflict with Debian's npm package).
  if ! command -v npm >/dev/null; then want+=(npm); fi
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--test]" >&2
  exit 2
fi

missing=()
for package in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
