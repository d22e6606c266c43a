#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzzer.cc) with clang-14, ASan
# and UBSan into build/fuzz, makes their seed corpora from tests/fixtures,
# and runs each for $FUZZ_SECONDS seconds (default 20). Fails when any target
# finds a crash; the input is then in build/fuzz/artifacts/TARGET/: copy it to
# tests/fuzz/regressions/TARGET/, where every later run replays it.
#   tests/fuzz/run.sh
#   FUZZ_SECONDS=600 tests/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-20}
dir=build/fuzz
targets=()
for source in tests/fuzz/*_fuzzer.cc; do
  targets+=("$(basename "$source" .cc)")
done

echo "== $dir: configure and build"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -DOOM_FUZZ=ON \
  -DOOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}" make_state_seed

echo "== $dir: seed corpora"
tests/fuzz/make-corpora.sh "$dir/seeds" "$dir/make_state_seed"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
for target in "${targets[@]}"; do
  echo "== $target: ${seconds}s"
  # The first directory collects what the fuzzer finds (kept between runs);
  # the seeds and the checked-in regressions are read only.
  corpus=$dir/corpus/$target
  artifacts=$dir/artifacts/$target
  log=$dir/logs/$target.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$dir/seeds/$target"
  inputs=("$corpus" "$dir/seeds/$target")
  if [[ -d tests/fuzz/regressions/$target ]]; then
    inputs+=("tests/fuzz/regressions/$target")
  fi
  dict=()
  case $target in
    kmsg_fuzzer | oom_message_fuzzer) dict=(-dict=tests/fuzz/kernel_log.dict) ;;
    kmsg_state_fuzzer) dict=(-dict=tests/fuzz/kmsg_state.dict) ;;
    web_config_fuzzer) dict=(-dict=tests/fuzz/web_config.dict) ;;
  esac
  status=0
  "$dir/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
    "${inputs[@]}" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    echo "$target: passed (${runs:-?} executions)"
  else
    failed=$((failed + 1))
    echo "$target: FAILED (exit $status after ${runs:-?} executions); log: $log"
    # The error and its first stack, then the one-line summary.
    awk '/ERROR:|runtime error:/ { shown = 1 } shown && /^$/ { exit } shown' "$log" |
      head -n 40 || true
    grep -m 1 '^SUMMARY' "$log" || true
    ls "$artifacts"/* 2>/dev/null | sed 's/^/  crashing input: /' || true
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
