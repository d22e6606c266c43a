#!/usr/bin/env bash
# The arm64 build and its tests under emulation, on an x86-64 machine:
#   tests/arm64/run.sh
# Installs the cross compiler and QEMU's user mode emulator
# (deploy/install-deps.sh --test --arm64), makes or reuses the arm64 sysroot
# (tests/arm64/sysroot.sh, cached), registers qemu-aarch64 with binfmt_misc
# (tests/support/binfmt-arm64.sh: the tests start the arm64 exporter
# themselves), configures and builds everything with the tests for arm64 in
# build/arm64 (warnings as errors), then runs under qemu-aarch64 every unit
# test and the end-to-end tests that need nothing of the host's kernel but
# what QEMU passes through (the list below says what is left out and why;
# docs/testing.md "arm64" too). Needs root (packages, binfmt_misc).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."

deploy/install-deps.sh --test --arm64
sysroot=$(tests/arm64/sysroot.sh)
tests/support/binfmt-arm64.sh
build=build/arm64
# Where QEMU finds the arm64 loader and libraries for the programs the tests
# start through binfmt_misc (ctest itself passes -L, from the toolchain
# file). QEMU opens them as the program's user, and some tests run the
# exporter as nobody, to whom $HOME (the cache's default place) is closed: a
# copy in the build, hard links where the file system allows. A build made
# against another sysroot starts again from nothing: neither make nor its
# header dependencies (the old sysroot's, still there) see the change.
runtime=$build/sysroot
if [[ $(cat "$runtime/.source" 2>/dev/null) != "$sysroot" ]]; then
  rm -rf "$build"
  mkdir -p "$build"
  cp -al "$sysroot" "$runtime" 2>/dev/null || { rm -rf "$runtime"; cp -a "$sysroot" "$runtime"; }
  echo "$sysroot" >"$runtime/.source"
fi
export QEMU_LD_PREFIX=$PWD/$runtime

echo "== $build: configure and build (aarch64-linux-gnu, sysroot $sysroot)"
# OOM_BUILD_TESTS=ON: a build by hand (docs/development.md) may have left it
# off in this directory.
cmake -S . -B "$build" -DOOM_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOOM_BUILD_TESTS=ON \
  -DCMAKE_TOOLCHAIN_FILE="$here/toolchain.cmake" -DOOM_ARM64_SYSROOT="$sysroot" >/dev/null
cmake --build "$build" -j "$(nproc)"

# What was built is arm64, and it runs: its version line through binfmt_misc.
machine=$(readelf -h "$build/oom_exporter" | sed -n 's/^ *Machine: *//p')
if [[ $machine != AArch64 ]]; then
  echo "arm64: $build/oom_exporter is for \"$machine\", not AArch64" >&2
  exit 1
fi
"$build/oom_exporter" --version

# Left out, each for its reason (docs/testing.md, "arm64"):
#   label live   this machine's kernel itself (real OOM kills in memory
#                cgroups, /dev/kmsg, every process's /proc), the early-warning
#                test among them: the kernel is the host's x86-64 one whatever
#                the program's architecture; the VM matrix covers kernels.
#   e2e.privdrop_test, and SwitchToUserTest of unit.privileges_test: QEMU
#                runs a thread of its own in every emulated process (its RCU
#                thread, in /proc/self/task), which the program's setuid()
#                does not reach; the switch's check of every thread then
#                rightly finds it still root and refuses to serve. Not ours:
#                on arm64 hardware there is no such thread.
#   e2e.dockerfile_test  lists the binary's libraries with the host's ldd,
#                which cannot read an arm64 program; the image is tested by
#                tests/image/.
#   e2e.rules_test, e2e.dashboard_schema_test  do not run the binary: they
#                check the alert rules and dashboards, the same files as the
#                amd64 run checks.
excluded='^e2e\.(privdrop|dockerfile|rules|dashboard_schema)_test$'
export GTEST_FILTER='-SwitchToUserTest.*'
echo "== $build: ctest under qemu-aarch64 (without label live, $excluded, gtest $GTEST_FILTER)"
(cd "$build" && ctest --output-on-failure --no-tests=error -j "$(nproc)" -LE live -E "$excluded")
