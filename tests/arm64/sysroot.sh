#!/usr/bin/env bash
# Makes the arm64 sysroot the cross build compiles and links against, and the
# emulated tests load their shared libraries from:
#   tests/arm64/sysroot.sh     prints its directory, building it when missing
# The Debian 12 arm64 -dev packages of deploy/install-deps.sh (and GoogleTest)
# with their dependencies, unpacked by mmdebstrap --variant=extract: nothing
# is installed and no maintainer script runs, so no emulation is needed to
# make it, and the host's own packages are not touched (the host cannot
# co-install them: prometheus-cpp-dev:arm64 would replace the amd64 one).
# Cached in $OOM_VM_CACHE/arm64 (default ${XDG_CACHE_HOME:-~/.cache}/oom_exporter-vm,
# as the VM matrix), keyed on the suite, the mirror, the package list and
# the version of the fix-ups below, so that a change builds a new one (about
# 15 s and 150 MB). A Debian point release does not rebuild it: remove the
# directory to take newer packages. Needs mmdebstrap
# (deploy/install-deps.sh --arm64).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${OOM_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom_exporter-vm}/arm64
suite=bookworm
# BUILD of deploy/install-deps.sh that are libraries, GoogleTest of TEST,
# and the C and C++ runtimes the cross compiler links against.
packages=(libabsl-dev libcivetweb-dev prometheus-cpp-dev zlib1g-dev libssl-dev
  libyaml-dev libcrypt-dev libgtest-dev libgmock-dev libc6-dev libstdc++-12-dev)
# Bump when the fix-ups of build() change.
fixups=1

mirror=$("$here/../vm/kernels.sh" --mirror)
key=$(printf '%s\n' "$suite" "$mirror" "${packages[@]}" "fixups $fixups" |
  sha256sum | cut -c1-16)
sysroot=$cache/sysroot-$key

build() {
  local tree log link target
  mkdir -p "$cache"
  # A name of our own: two runs may build the same sysroot at once.
  tree=$(mktemp -d "$cache/.tree.XXXXXX")
  rmdir "$tree"  # mmdebstrap makes it
  log=$tree.log
  echo "arm64: building the Debian $suite arm64 sysroot in $sysroot" >&2
  if ! mmdebstrap --architectures=arm64 --variant=extract \
    --include="$(IFS=,; echo "${packages[*]}")" \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    "$suite" "$tree" "$mirror" >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$tree" "$log"
    return 1
  fi
  # Fix-ups 1: absolute symbolic links (libz.so -> /lib/aarch64-linux-gnu/
  # libz.so.1, /lib/ld-linux-aarch64.so.1 -> /lib/aarch64-linux-gnu/...)
  # would resolve on the host: make them relative, inside the tree. Remove
  # what mmdebstrap made for a chroot (dev, tmp, var, etc but ld.so's
  # configuration): QEMU's -L looks every absolute path up in the sysroot
  # first, and an emulated test must find the host's /tmp, not ours.
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    ln -sfn "$(realpath -ms --relative-to="$(dirname "$link")" "$tree$target")" "$link"
  done < <(find "$tree/usr" "$tree/lib" -type l -lname '/*' -print0)
  rm -rf "${tree:?}"/{dev,tmp,var}
  find "$tree/etc" -mindepth 1 -maxdepth 1 ! -name 'ld.so.conf*' -exec rm -rf {} +
  # Not a sysroot unless the loader and the libraries our build needs are in it.
  for needed in lib/ld-linux-aarch64.so.1 usr/lib/aarch64-linux-gnu/libz.so \
    usr/lib/aarch64-linux-gnu/cmake/prometheus-cpp usr/include/civetweb.h; do
    if [[ ! -e $tree/$needed ]]; then
      echo "arm64: the sysroot has no $needed" >&2
      rm -rf "$tree" "$log"
      return 1
    fi
  done
  mv "$log" "$sysroot.log"
  mv -T "$tree" "$sysroot" 2>/dev/null || rm -rf "$tree"  # another run won
}

if [[ ! -d $sysroot ]]; then
  build
fi
echo "$sysroot"
