#!/usr/bin/env bash
# Makes the kernel run arm64 (aarch64) ELF programs through QEMU's user mode
# emulator, for every process on this machine, containers among them:
#   tests/support/binfmt-arm64.sh
# Mounts binfmt_misc at /proc/sys/fs/binfmt_misc when it is not, and
# registers Debian's qemu-aarch64 handler (package qemu-user-static,
# /usr/lib/binfmt.d/qemu-aarch64.conf) when it is not registered. Its flags
# are what both users here need: F opens the emulator now, so that it works
# inside a container's own root file system (podman running the arm64 image);
# P keeps argv[0]; O hands it the program already open. An arm64 program
# then finds its shared libraries under $QEMU_LD_PREFIX (tests/arm64/run.sh
# sets the sysroot) or, in a container, in its own root.
# Leaves a handler that is registered and enabled alone; fails, saying why,
# when one is registered without the F flag or is disabled. Needs root only
# to mount or to register. Prints the handler's status.
set -euo pipefail

dir=/proc/sys/fs/binfmt_misc
conf=/usr/lib/binfmt.d/qemu-aarch64.conf
entry=$dir/qemu-aarch64

fail() {
  echo "binfmt-arm64: $*" >&2
  exit 1
}

if [[ ! -e $dir/register ]]; then
  [[ $(id -u) -eq 0 ]] || fail "binfmt_misc is not mounted at $dir: run as root to mount it"
  mount -t binfmt_misc binfmt_misc "$dir"
fi
if [[ $(cat "$dir/status") != enabled ]]; then
  fail "binfmt_misc is disabled on this machine (echo 1 >$dir/status enables it)"
fi
if [[ ! -e $entry ]]; then
  [[ -r $conf ]] || fail "no $conf: install qemu-user-static (deploy/install-deps.sh --arm64)"
  [[ $(id -u) -eq 0 ]] || fail "qemu-aarch64 is not registered: run as root to register it"
  # One line, ":name:type:offset:magic:mask:interpreter:flags", as
  # binfmt_misc's register file takes it.
  grep -v '^[#;]' "$conf" | grep -m1 . >"$dir/register"
fi
if ! grep -qx enabled "$entry"; then
  fail "$entry is disabled (echo 1 >$entry enables it)"
fi
flags=$(sed -n 's/^flags: //p' "$entry")
if [[ $flags != *F* ]]; then
  fail "$entry is registered without the F flag (flags: $flags), so the emulator is not found inside a container; echo -1 >$entry removes it, then run this again"
fi
echo "binfmt-arm64: qemu-aarch64 registered, flags $flags, interpreter $(sed -n 's/^interpreter //p' "$entry")"
