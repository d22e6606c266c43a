#!/usr/bin/env bash
# Proves deploy/systemd/oom_exporter.service as shipped on a real systemd:
#   tests/vm/systemd/run.sh EXPORTER [KERNEL_PACKAGE]
# Boots Debian 12 (systemd 252) under QEMU (TCG) on a Debian kernel
# (default linux-image-6.1.0-50-amd64, fetched by tests/vm/kernels.sh), with
# the whole system in the initramfs (no disk): EXPORTER at
# /usr/local/bin/oom_exporter, the unit copied unchanged to
# /etc/systemd/system/ and enabled, the static hog, and check.sh run by the
# oneshot check.service after the exporter (check.sh lists the checks).
# Prints the guest's "@@" lines and the console log's path; exits 0 only
# when no check failed, at least one passed and the guest said "@@ DONE".
#
# The Debian root file system (mmdebstrap minbase, systemd, curl and the
# exporter's runtime libraries, found by ldd and dpkg -S) is cached as a
# compressed cpio archive in $OOM_VM_CACHE/rootfs, keyed on the package list;
# only a small second archive with our files is made for each run (the kernel
# unpacks both, the second over the first). Needs root (mmdebstrap, and the
# rootfs's owners), mmdebstrap, qemu-system-x86, cpio, zstd and gcc.
# Environment: OOM_VM_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/oom_exporter-vm),
# OOM_VM_TIMEOUT (seconds for the whole boot, default 300), OOM_VM_LOG (the
# console log, default a new file in ${TMPDIR:-/tmp}), OOM_VM_UNIT (a unit file
# to install instead of the shipped one, to try a fix; the checks then say so).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${OOM_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oom_exporter-vm}
suite=bookworm
# Tools of the checks: systemd-run and systemd-analyze come with systemd,
# sysctl with procps, capsh with libcap2-bin; libnss-systemd names the
# DynamicUser.
base_packages=(systemd systemd-sysv dbus libnss-systemd curl procps libcap2-bin)

usage() {
  echo "usage: $0 EXPORTER [KERNEL_PACKAGE]" >&2
  exit 2
}

# The Debian packages of the shared libraries EXPORTER loads.
runtime_packages() {
  local libs lib
  if ! libs=$(ldd "$1" | awk '/=> \// { print $3 }') || [[ -z $libs ]]; then
    echo "$0: $1: no shared libraries found by ldd (not built yet, or being rebuilt?)" >&2
    return 1
  fi
  for lib in $libs; do
    dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"
  done | cut -d: -f1 | sort -u
}

# rootfs_archive PACKAGE...: prints the path of the cached rootfs archive of
# those packages, building it first when missing (about 30 s).
rootfs_archive() {
  local key archive
  key=$(printf '%s\n' "$suite" "$("$here/../kernels.sh" --mirror)" "$@" minbase merged-usr nodoc v1 |
    sha256sum | cut -c1-16)
  archive=$cache/rootfs/systemd-$key.cpio.zst
  if [[ ! -f $archive ]]; then
    build_rootfs "$archive" "$@"
  fi
  echo "$archive"
}

# build_rootfs ARCHIVE PACKAGE...: mmdebstrap into a directory (its output
# in ARCHIVE.log), then cpio.
build_rootfs() {
  local archive=$1 tree list log
  shift
  list=$(
    IFS=,
    echo "$*"
  )
  mkdir -p "$(dirname "$archive")"
  # Names of our own: two runs may build the same archive at once.
  tree=$(mktemp -d "$cache/rootfs/.tree.XXXXXX")
  rmdir "$tree"  # mmdebstrap makes it
  log=$tree.log
  echo "building the Debian $suite rootfs: $list" >&2
  if ! mmdebstrap --variant=minbase --include="$list" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    "$suite" "$tree" "$("$here/../kernels.sh" --mirror)" >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$tree" "$log"
    return 1
  fi
  (cd "$tree" && find . -mindepth 1 | cpio -o -H newc --quiet | zstd -q -3 -T0) \
    >"$tree.cpio.zst"
  rm -rf "$tree"
  mv "$log" "$archive.log"
  mv "$tree.cpio.zst" "$archive"
}

# overlay_archive EXPORTER UNIT OUT: our files, installed as docs/deploy.md's
# "On a host with systemd" says, in a second cpio archive.
overlay_archive() {
  local exporter=$1 unit=$2 out=$3 root
  root=$(mktemp -d "$(dirname "$out")/overlay.XXXXXX")
  mkdir -p "$root"/{etc/systemd/system,usr/local/bin,usr/local/lib/oom-test}
  install -m 0755 "$exporter" "$root/usr/local/bin/oom_exporter"
  install -m 0644 "$unit" "$root/etc/systemd/system/oom_exporter.service"
  gcc -O2 -static -Wall -Werror -o "$root/usr/local/bin/hog" "$repo/tests/vm/helpers/hog.c"
  install -m 0755 "$here/check.sh" "$root/usr/local/lib/oom-test/check.sh"
  install -m 0644 "$repo/tests/vm/guest/lib.sh" "$root/usr/local/lib/oom-test/lib.sh"
  sha256sum <"$repo/deploy/systemd/oom_exporter.service" | cut -d' ' -f1 \
    >"$root/usr/local/lib/oom-test/shipped.sha256"
  install -m 0644 "$here/check.service" "$root/etc/systemd/system/oom-unit-check.service"
  systemctl --root="$root" --quiet enable oom_exporter.service oom-unit-check.service
  # No login prompt on the console, and not a first boot (no firstboot
  # questions, no preset-all): a machine id of our own.
  systemctl --root="$root" --quiet mask getty.target
  echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
  ln -s /lib/systemd/systemd "$root/init"
  (cd "$root" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet | zstd -q -1) >"$out"
  rm -rf "$root"
}

# boot KERNEL INITRD LOG: runs the VM, the console copied to LOG (without
# carriage returns); QEMU exits when the guest powers off.
boot() {
  local kernel=$1 initrd=$2 log=$3
  timeout "${OOM_VM_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 \
    -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 loglevel=1 panic=-1 systemd.show_status=0" \
    </dev/null 2>&1 | tr -d '\r' >"$log" || true
}

# verdict LOG SECONDS: prints the @@ lines and the timing; fails unless every
# check passed and the guest said @@ DONE.
verdict() {
  local log=$1 seconds=$2 passed failed
  grep -a '^@@' "$log" || true
  passed=$(grep -ac '^@@ PASS ' "$log" || true)
  failed=$(grep -ac '^@@ FAIL ' "$log" || true)
  echo "systemd-unit: $passed passed, $failed failed; boot to @@ END $(awk '$2 == "END" { print $4 }' "$log") s (guest uptime), QEMU ran ${seconds} s; console: $log"
  if [[ $failed != 0 || $passed == 0 ]] || ! grep -aqx '@@ DONE' "$log"; then
    grep -aq '^@@ DONE' "$log" || echo "systemd-unit: no @@ DONE (timeout or crash): see $log"
    return 1
  fi
}

main() {
  [[ $# -ge 1 && $# -le 2 ]] || usage
  local exporter=$1 kernel_package=${2:-linux-image-6.1.0-50-amd64}
  local unit=${OOM_VM_UNIT:-$repo/deploy/systemd/oom_exporter.service}
  local kernel_dir rootfs log start
  kernel_dir=$("$repo/tests/vm/kernels.sh" "$kernel_package" | awk '{ print $2 }')
  local packages runtime
  runtime=$(runtime_packages "$exporter")
  mapfile -t packages < <(printf '%s\n' "${base_packages[@]}" "$runtime" | sort -u)
  rootfs=$(rootfs_archive "${packages[@]}")
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT  # $work is global: the trap runs after main
  overlay_archive "$exporter" "$unit" "$work/overlay.cpio.zst"
  cat "$rootfs" "$work/overlay.cpio.zst" >"$work/initrd"
  log=${OOM_VM_LOG:-$(mktemp "${TMPDIR:-/tmp}/oom_exporter-vm-systemd.XXXXXX.log")}
  start=$(date +%s.%N)
  boot "$kernel_dir/vmlinuz" "$work/initrd" "$log"
  verdict "$log" "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')"
}

main "$@"
