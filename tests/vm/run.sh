#!/usr/bin/env bash
# The real-kernel matrix: boots Debian's own kernels under QEMU (TCG, no KVM
# needed) with an initramfs holding the exporter just built, runs the
# scenarios of tests/vm/guest/scenarios on each, cgroup v2 and v1, and the
# systemd unit as shipped on a real systemd (tests/vm/systemd/run.sh).
#   tests/vm/run.sh [OPTIONS] [ENTRY...]
# An ENTRY is a kernel package, optionally with the cgroup mode:
# linux-image-6.1.0-50-amd64 (v2), linux-image-6.1.0-50-amd64:v1, or
# "default" for the default matrix (also what no ENTRY means), so that
#   tests/vm/run.sh default linux-image-6.1.0-57-amd64
# adds a kernel. Options:
#   --build DIR      the build whose oom_exporter is tested (build/test)
#   --only A,B       run only these scenarios (file names without NN-)
#   --repeat N       run the matrix N times (stops at the first failure)
#   --jobs N         VMs at once (default: the number of CPUs)
#   --save-kmsg DIR  save each VM's raw kernel log as DIR/<entry>.kmsg
#   --no-systemd     leave out the systemd unit test
#   --measure        run the measurements of tests/vm/guest/measure instead
#                    of the scenarios (they print "@@ MEASURE" lines)
# Logs: DIR/vm/<entry>.log. Exit 0 when every scenario passed everywhere;
# 77 when QEMU cannot run here (it says why), except where the matrix is
# required (OOM_VM_REQUIRED=1, which .ci/run sets, or CI=true): a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."

DEFAULT=(linux-image-5.10.0-32-amd64 linux-image-5.10.0-32-amd64:v1
  linux-image-6.1.0-50-amd64 linux-image-6.1.0-50-amd64:v1
  linux-image-6.12.100+deb12-amd64)
SYSTEMD_KERNEL=linux-image-6.1.0-50-amd64

build=build/test only="" repeat=1 jobs=$(nproc) save_kmsg="" systemd=1 measure=0
entries=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --save-kmsg) save_kmsg=$2; shift 2 ;;
    --no-systemd) systemd=0; shift ;;
    --measure) measure=1; systemd=0; shift ;;
    default) entries+=("${DEFAULT[@]}"); shift ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) entries+=("$1"); shift ;;
  esac
done
[[ ${#entries[@]} -gt 0 ]] || entries=("${DEFAULT[@]}")

cannot_run() {
  echo "vm: SKIPPED: $*" >&2
  if [[ ${OOM_VM_REQUIRED:-} == 1 || ${CI:-} == true ]]; then
    echo "vm: CI machines must run the VM matrix" >&2
    exit 1
  fi
  exit 77
}
[[ $(uname -m) == x86_64 ]] || cannot_run "the matrix boots x86-64 Debian kernels; this is $(uname -m)"
command -v qemu-system-x86_64 >/dev/null ||
  cannot_run "no qemu-system-x86_64 (deploy/install-deps.sh --test installs qemu-system-x86)"
[[ -x /bin/busybox ]] && /bin/busybox --list | grep -qx wget ||
  cannot_run "no static busybox (package busybox-static)"
exporter=$build/oom_exporter
[[ -x $exporter ]] || { echo "vm: no $exporter: build it first" >&2; exit 2; }

out=$build/vm
mkdir -p "$out"

declare -A kernel_dir
packages=("${entries[@]%%:*}")
[[ $systemd == 1 ]] && packages+=("$SYSTEMD_KERNEL")
while read -r package dir; do
  kernel_dir[$package]=$dir
done < <("$here/kernels.sh" $(printf '%s\n' "${packages[@]}" | sort -u))

initrd=$out/initrd.gz
"$here/initramfs.sh" "$exporter" "$initrd" "${kernel_dir[@]}"
# Every VM's disk, /dev/vda (virtio, read-only, shared by the VMs): 256 MiB
# of a fixed byte pattern, so that a scenario can read it into page cache
# that a real block device backs (tmpfs and the initramfs are shmem).
disk=$out/disk.img
if [[ ! -f $disk || $(stat -c %s "$disk") != 268435456 ]]; then
  head -c 268435456 /dev/zero | tr '\0' 'o' >"$disk.tmp"
  mv "$disk.tmp" "$disk"
fi

# boot ENTRY: one VM; its console goes to $out/ENTRY.log, its run time in
# seconds to $out/ENTRY.seconds.
boot() {
  local entry=$1 package=${1%%:*} mode=v2 start=$SECONDS
  [[ $entry == *:* ]] && mode=${entry##*:}
  # A 1 MiB kernel ring: the whole run's log stays in it (for --save-kmsg
  # and the scenarios that read dmesg).
  local append="console=ttyS0 loglevel=1 panic=-1 log_buf_len=1M oomtest.cgroup=$mode"
  [[ -n $only ]] && append+=" oomtest.only=$only"
  [[ -n $save_kmsg ]] && append+=" oomtest.kmsg=1"
  [[ $measure == 0 ]] || append+=" oomtest.measure=1"
  # 512 MiB, one CPU; the host-side timeout only ends a VM that hangs.
  timeout 300 qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic \
    -no-reboot -kernel "${kernel_dir[$package]}/vmlinuz" -initrd "$initrd" \
    -drive "file=$disk,format=raw,if=virtio,readonly=on" \
    -append "$append" </dev/null >"$out/$entry.log" 2>&1 || true
  echo $((SECONDS - start)) >"$out/$entry.seconds"
  if [[ -n $save_kmsg ]]; then
    mkdir -p "$save_kmsg"
    sed -n 's/^@@K //p' "$out/$entry.log" | tr -d '\r' >"$save_kmsg/$entry.kmsg"
  fi
}

boot_systemd() {
  local start=$SECONDS
  "$here/systemd/run.sh" "$exporter" "$SYSTEMD_KERNEL" >"$out/systemd.log" 2>&1 || true
  echo $((SECONDS - start)) >"$out/systemd.seconds"
}

# report ENTRY: prints the VM's results; returns 1 on any failure.
report() {
  local entry=$1 log=$out/$1.log
  local pass fail skip
  pass=$(grep -ac '^@@ PASS' "$log" || true)
  fail=$(grep -ac '^@@ FAIL' "$log" || true)
  skip=$(grep -ac '^@@ SKIP' "$log" || true)
  local status=ok
  grep -aq '^@@ DONE' "$log" || status="no DONE (hung or crashed)"
  [[ $pass -gt 0 ]] || status="no check ran"
  [[ $fail -eq 0 ]] || status=FAILED
  printf 'vm: %-40s %s; %d checks passed, %d failed, %d skipped; %d s\n' \
    "$entry" "$status" "$pass" "$fail" "$skip" "$(cat "$out/$entry.seconds")"
  if [[ $status != ok ]]; then
    grep -a -e '^@@ FAIL' -e '^@@ SKIP' -e '^@@ LOG' -e '^@@L' "$log" | tr -d '\r' | sed 's/^/    /'
    grep -aq '^@@ DONE' "$log" || tail -30 "$log" | tr -d '\r' | sed 's/^/    /'
    return 1
  fi
  grep -a -e '^@@ SKIP' -e '^@@ MEASURE' "$log" | tr -d '\r' | sed 's/^/    /' || true
}

run_matrix() {
  local started=$SECONDS failed=0 entry
  rm -f "$out"/*.log "$out"/*.seconds
  # The systemd VM is the longest: it starts first.
  if [[ $systemd == 1 && -z $only ]]; then boot_systemd & fi
  for entry in "${entries[@]}"; do
    while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do wait -n || true; done
    boot "$entry" &
  done
  wait
  for entry in "${entries[@]}"; do report "$entry" || failed=1; done
  if [[ $systemd == 1 && -z $only ]]; then report systemd || failed=1; fi
  echo "vm: matrix took $((SECONDS - started)) s"
  return $failed
}

for ((round = 1; round <= repeat; round++)); do
  [[ $repeat -eq 1 ]] || echo "vm: round $round of $repeat"
  run_matrix || exit 1
done
