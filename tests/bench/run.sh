#!/usr/bin/env bash
# Builds the benchmarks in Release (build/bench) and runs them pinned to one
# core (CPU 0), 5 or 10 repetitions each, then prints the medians against the
# baseline measured in the same run. A measurement, never a test: it fails
# only when it cannot build or run.
#   tests/bench/run.sh [all|parser|cgroup] [GOOGLE_BENCHMARK_FLAGS...]
#   parser: the kernel-log parser against splitting the same lines.
#   cgroup: one cgroup-collector scrape of 1,000 real memory cgroups (made
#           and removed by the benchmark; needs root) against opening,
#           reading and closing the same files in a plain loop.
set -euo pipefail
cd "$(dirname "$0")/../.."

which=all
if [[ $# -gt 0 && "$1" != -* ]]; then
  which=$1
  shift
fi
case "$which" in
  all | parser | cgroup) ;;
  *)
    echo "usage: tests/bench/run.sh [all|parser|cgroup] [FLAGS...]" >&2
    exit 2
    ;;
esac

dir=build/bench
echo "== $dir: configure and build (Release)"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DOOM_BENCH=ON \
  -DOOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target parser_bench cgroup_bench

# run NAME REPETITIONS FLAGS...: runs $dir/NAME on CPU 0 and leaves its JSON
# report in $dir. Repetitions of the benchmarks of one program are
# interleaved in random order, so that a change of the machine's load hits
# the baseline and the measured code alike.
run() {
  echo "== $1 on CPU 0"
  taskset -c 0 "$dir/$1" --benchmark_repetitions="$2" \
    --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$dir/$1.json" --benchmark_out_format=json "${@:3}"
}

# medians FILE: "name items_per_second real_time_ms" per median, from the
# JSON report (one "key": value per line).
medians() {
  awk '
    /"name":/ { name = $2; gsub(/[",]/, "", name) }
    /"real_time":/ { t = $2; gsub(/,/, "", t); time[name] = t }
    /"items_per_second":/ { r = $2; gsub(/,/, "", r); rate[name] = r }
    END { for (n in rate) if (n ~ /_median$/) print n, rate[n], time[n] }
  ' "$1"
}

if [[ "$which" == all || "$which" == parser ]]; then
  run parser_bench 5 "$@"
  medians "$dir/parser_bench.json" | awk '
    { ips[$1] = $2 }
    END {
      split("BM_SplitLines BM_ParseLogLine BM_FullParser BM_ParseCommand", names, " ")
      split("line splitting (baseline),ParseLogLine,full parser (ParseLogLine + KillAssembler::Add),oom_exporter parse FILE > /dev/null", labels, ",")
      print "== parser summary (median of 5, one core)"
      for (i = 1; i <= 4; ++i) {
        key = names[i] "_median"
        if (key in ips) printf "%-70s %8.2f M lines/s\n", labels[i] ":", ips[key] / 1e6
      }
      full = ips["BM_FullParser_median"]; base = ips["BM_SplitLines_median"]
      if (full > 0 && base > 0) {
        printf "full parser: %.2f M lines/s; full parser / baseline: %.3f (%.1fx the time of splitting)\n",
          full / 1e6, full / base, base / full
      }
    }'
fi

if [[ "$which" == all || "$which" == cgroup ]]; then
  run cgroup_bench 10 "$@"
  medians "$dir/cgroup_bench.json" | awk '
    { ms[$1] = $3 }
    END {
      plain = ms["BM_PlainReads_median"]; scrape = ms["BM_CollectorScrape_median"]
      print "== cgroup summary (median of 10, one core, 1,000 cgroups)"
      printf "%-60s %8.2f ms\n", "open, read, close the same files (baseline):", plain
      printf "%-60s %8.2f ms\n", "one cgroup collector scrape:", scrape
      if (plain > 0) printf "scrape / baseline: %.2fx (target: at most 2x)\n", scrape / plain
    }'
fi
