#!/usr/bin/env bash
# Keeps the layers honest (docs/architecture.md):
#   - tests/layers/check.cmake accepts the tree as it is, and fails, naming
#     the file and the layers, on a tree where a lower layer includes a
#     higher one or a header of no library;
#   - only the program and the HTTP tests define the functions that replace
#     libc's or OpenSSL's (poll, accept, dlopen, SSL_get_peer_certificate;
#     exporter/http/civetweb_shims.h): no library does, nor any other test;
#   - every oom_* family of the golden scrapes is named by one string
#     literal in one file, in the folder of the collector docs/metrics.md
#     names for it, so `git grep '"NAME"'` finds its code.
#   tests/e2e/layers_test.sh build/oom_exporter

BINARY=${1:?usage: layers_test.sh path/to/oom_exporter}
BUILD=$(cd "$(dirname "$BINARY")" && pwd)
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

ROOT=$PWD
LAYERS="$BUILD/oom_layers.txt"
check "configure wrote the layers file" test -s "$LAYERS"

run_check() {  # run_check ROOT LAYERS_FILE: check.cmake's output, its status
  cmake -DOOM_LAYERS_ROOT="$1" -DOOM_LAYERS_FILE="$2" \
    -P "$ROOT/tests/layers/check.cmake" >"$E2E_TMP/out" 2>&1
}
check "check.cmake accepts this tree" run_check "$ROOT" "$LAYERS"

# A small tree: low <- high, and a file of low reaching up into high.
fake="$E2E_TMP/fake"
mkdir -p "$fake/collectors/low" "$fake/collectors/high"
printf 'low collectors/low\nhigh collectors/high low\n' >"$E2E_TMP/fake_layers"
echo '#include "collectors/low/a.h"' >"$fake/collectors/high/b.h"
echo '// nothing' >"$fake/collectors/low/a.h"
check "check.cmake accepts a higher layer using a lower one" \
  run_check "$fake" "$E2E_TMP/fake_layers"
# refuses DESCRIPTION MESSAGE: check.cmake must fail on the fake tree and
# say MESSAGE.
refuses() {
  CHECKS=$((CHECKS + 1))
  if run_check "$fake" "$E2E_TMP/fake_layers"; then
    fail "check.cmake accepted $1"
  elif grep -qF "$2" "$E2E_TMP/out"; then
    pass "check.cmake refuses $1"
  else
    fail "check.cmake refused $1 without saying \"$2\": $(cat "$E2E_TMP/out")"
  fi
}
echo '#include "collectors/high/b.h"' >"$fake/collectors/low/a.h"
refuses "a lower layer including a higher one" \
  'collectors/low/a.h (low) includes collectors/high/b.h of high'
echo '#include "collectors/nowhere/c.h"' >"$fake/collectors/low/a.h"
refuses "a header that no library owns" \
  'includes collectors/nowhere/c.h, which no library owns'

# Functions that replace libc's or OpenSSL's for the whole process: the
# program has all four (which shows that nm sees them), no library any.
SHIMS='^(poll|accept|dlopen|SSL_get_peer_certificate)$'
defines_shim() {  # defines_shim FILE: prints the shims FILE defines
  nm --defined-only "$1" 2>/dev/null | awk '$2 ~ /^[TW]$/ { print $3 }' |
    grep -E "$SHIMS" || true
}
check "the program defines the four shims" \
  test "$(defines_shim "$BINARY" | sort | tr '\n' ' ')" = "SSL_get_peer_certificate accept dlopen poll "
for library in oom_base oom_kernel oom_domain oom_scrape oom_collector_cgroup \
  oom_collector_kmsg oom_collector_memory oom_collector_process oom_collectors \
  oom_web_config oom_http oom_cli; do
  archive=$(find "$BUILD" -name "lib$library.a" | head -1)
  CHECKS=$((CHECKS + 1))
  if [[ -z "$archive" ]]; then
    fail "lib$library.a not found under $BUILD"
  elif [[ -n "$(defines_shim "$archive")" ]]; then
    fail "lib$library.a defines $(defines_shim "$archive" | tr '\n' ' ')"
  else
    pass "lib$library.a replaces nothing of libc or OpenSSL"
  fi
done
# The tests that may carry them: those linking oom_http or oom_cli.
allowed=$(sed -n '/^set(OOM_HTTP_TESTS/,/)/p; /^set(OOM_CLI_TESTS/,/)/p' tests/CMakeLists.txt |
  tr -s ' ()\n' '\n' | grep '_test$' || true)
clean=0
for test_binary in "$BUILD"/tests/*_test; do
  [[ -e "$test_binary" ]] || continue  # no test built: the glob itself
  name=$(basename "$test_binary")
  grep -qx "$name" <<<"$allowed" && continue
  shims=$(defines_shim "$test_binary")
  if [[ -n "$shims" ]]; then
    CHECKS=$((CHECKS + 1))
    fail "$name (a test of the collectors) defines $(tr '\n' ' ' <<<"$shims")"
  else
    clean=$((clean + 1))
  fi
done
check "the collectors' $clean test binaries replace nothing of libc or OpenSSL" \
  test "$clean" -ge 20

# Every family's name, once, in the folder of the collector that
# docs/metrics.md names for it (or the scrape registry's, or the HTTP
# server's).
families=$(sed -n 's/^# TYPE \(oom_[a-z0-9_]*\) .*/\1/p' tests/golden/*.txt | sort -u)
found=0
for family in $families; do
  files=$(git grep -l -F "\"$family\"" -- collectors exporter || true)
  owner=$(awk -F'|' -v name="\`$family\`" '$2 ~ " " name " " { gsub(/ /, "", $4); print $4 }' docs/metrics.md)
  case "$owner" in
    "(everyscrape)") folder=collectors/scrape/ ;;
    "(HTTPserver)") folder=exporter/http/ ;;
    *) folder=collectors/$owner/ ;;
  esac
  if [[ $(wc -w <<<"$files") -ne 1 ]]; then
    CHECKS=$((CHECKS + 1))
    fail "$family is named in $(wc -w <<<"$files") files (${files//$'\n'/ }), not one"
  elif [[ -z "$owner" || "$files" != "$folder"* ]]; then
    CHECKS=$((CHECKS + 1))
    fail "$family is named in $files, not under $folder (docs/metrics.md: collector '$owner')"
  else
    found=$((found + 1))
  fi
done
check "each of the $found oom_* families is named in exactly one file, in its collector's folder" \
  test "$found" -ge 50

echo "layers_test: $CHECKS checks, $FAILURES failed"
[[ $FAILURES -eq 0 ]]
