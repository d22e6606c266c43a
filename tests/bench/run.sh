#!/usr/bin/env bash
# Builds the benchmarks in Release (build/bench) and runs the kernel-log
# parser benchmark pinned to one core (CPU 0), 5 repetitions, then prints the
# median lines/s of each benchmark and of the full parser against the
# line-splitting baseline of the same run. A measurement, never a test: it
# fails only when it cannot build or run.
#   tests/bench/run.sh [GOOGLE_BENCHMARK_FLAGS...]
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=build/bench
echo "== $dir: configure and build (Release)"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DOOM_BENCH=ON \
  -DOOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target parser_bench

json=$dir/parser_bench.json
echo "== parser_bench on CPU 0"
taskset -c 0 "$dir/parser_bench" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@"

# The medians, from the JSON report (one "key": value per line).
awk '
  /"name":/ { name = $2; gsub(/[",]/, "", name) }
  /"items_per_second":/ { rate = $2; gsub(/,/, "", rate); ips[name] = rate }
  END {
    split("BM_SplitLines BM_ParseLogLine BM_FullParser BM_ParseCommand", names, " ")
    split("line splitting (baseline),ParseLogLine,full parser (ParseLogLine + KillAssembler::Add),oom_exporter parse FILE > /dev/null", labels, ",")
    print "== summary (median of 5, one core)"
    for (i = 1; i <= 4; ++i) {
      key = names[i] "_median"
      if (key in ips) printf "%-70s %8.2f M lines/s\n", labels[i] ":", ips[key] / 1e6
    }
    full = ips["BM_FullParser_median"]; base = ips["BM_SplitLines_median"]
    if (full > 0 && base > 0) {
      printf "full parser: %.2f M lines/s; full parser / baseline: %.3f (%.1fx the time of splitting)\n",
        full / 1e6, full / base, base / full
    }
  }' "$json"
