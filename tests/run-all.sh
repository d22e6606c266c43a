#!/usr/bin/env bash
# Quick start, step 2: installs what is missing, then builds and runs every
# test twice: a normal build with warnings as errors (build/test), followed
# by the quick load and fault scenarios on it (tests/reliability/run.sh) and
# the real-kernel matrix in VMs (tests/vm/run.sh); the container image
# (tests/image/run.sh) and the arm64 cross build and its tests under QEMU
# (tests/arm64/run.sh, build/arm64); and
# an AddressSanitizer + UndefinedBehaviorSanitizer build (build/asan; without
# the slow label, so the live early-warning test runs once); then the
# tests of the threaded parts (the kernel-log thread, the cgroup watcher,
# the scrape registry and HTTP server under concurrent scrapes) under
# ThreadSanitizer (build/tsan); then runs every libFuzzer target for a short
# while (tests/fuzz/run.sh, build/fuzz).
#   tests/run-all.sh            all of it
#   tests/run-all.sh --fast     the normal build only
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --test
jobs=$(nproc)

# run_suite DIR CTEST_FLAGS CMAKE_FLAGS...: CTEST_FLAGS is one word, e.g.
# "-LE slow" to leave out the tests labelled slow ("" for none).
run_suite() {
  local dir=$1 ctest_flags=$2
  shift 2
  echo "== $dir: configure and build"
  cmake -S . -B "$dir" -DOOM_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== $dir: ctest $ctest_flags"
  # shellcheck disable=SC2086 # ctest_flags is split on purpose
  (cd "$dir" && ctest --output-on-failure -j "$jobs" $ctest_flags)
}

# Every test, tests/e2e/early_warning_test.sh (label slow: about 6 minutes of
# a real leak against a real Prometheus) among them, here and only here.
run_suite build/test "" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# The load and fault scenarios on the normal build only, after ctest so that
# nothing else runs beside them (about 3 minutes; docs/reliability.md).
echo "== build/test: tests/reliability/run.sh --quick"
tests/reliability/run.sh --quick build/test
# Debian's own kernels in VMs, cgroup v2 and v1, and the systemd unit on a
# real systemd (about 2 minutes; docs/testing.md "Tested kernels").
echo "== build/test: tests/vm/run.sh"
tests/vm/run.sh --build build/test
if [[ "${1:-}" != "--fast" ]]; then
  # The container image, built from the Dockerfile with buildah for amd64
  # and arm64 and run with podman as the DaemonSet runs it (about 5 minutes
  # on a clean machine; docs/testing.md "The container image").
  echo "== tests/image/run.sh"
  tests/image/run.sh
  tests/arm64/run.sh
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Without the slow label: the early-warning test checks the alert rules
  # against the kernel, which a sanitized exporter would only slow down.
  run_suite build/asan "-LE slow" -DCMAKE_BUILD_TYPE=Debug -DOOM_SANITIZE=ON
  # ThreadSanitizer on the tests whose code runs threads.
  threaded=(kmsg_collector_test kmsg_live_test cgroup_watcher_test
    cgroup_collector_test cgroup_live_test scrape_registry_test http_server_test
    http_limits_test basic_auth_test connection_gate_test civetweb_shims_test
    health_check_test)
  echo "== build/tsan: configure and build"
  cmake -S . -B build/tsan -DOOM_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DOOM_TSAN=ON >/dev/null
  cmake --build build/tsan -j "$jobs" --target "${threaded[@]}"
  echo "== build/tsan: ctest (threaded tests)"
  # tests/tsan.supp: a race inside Debian's civetweb, not ours.
  (IFS='|'; cd build/tsan &&
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/../../tests/tsan.supp \
    ctest --output-on-failure -j "$jobs" -R "^(unit|live)\.(${threaded[*]})\$")
  tests/fuzz/run.sh
fi
