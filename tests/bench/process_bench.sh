#!/usr/bin/env bash
# The process collector's speed against two baselines, side by side in one
# run, with IDLE_PROCESSES (default 10000) extra idle processes on the
# machine (tests/bench/spawn_idle.c; they die with it):
#   - the naive floor: a C loop that opens, reads and closes oom_score,
#     oom_score_adj, comm and statm of every pid (naive_proc_loop.c), and
#   - the collector alone: ProcessCollector::Collect() called directly,
#     one pass of each in turn in one process (process_bench.cc), so that
#     both meet the same load on a shared machine;
#   - oom_exporter over HTTP with only the process collector on;
#   - process-exporter (Debian prometheus-process-exporter) grouping every
#     process by name, with its defaults and with -gather-smaps=false
#     -threads=false (its cheapest).
# CPU is user + system time: getrusage() inside the C loop and the bench
# binary (median of ITERATIONS, default 20), /proc/<pid>/stat utime + stime
# over ITERATIONS scrapes (after one warm-up scrape) for the HTTP exporters.
# Also prints oom_exporter's resident memory after the scrapes. A
# measurement, never a test. Needs a Release build (made here in build/bench),
# curl, cc, and process-exporter (apt-get install prometheus-process-exporter;
# skipped when absent).
#   tests/bench/process_bench.sh
#   IDLE_PROCESSES=2000 ITERATIONS=50 tests/bench/process_bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

idle=${IDLE_PROCESSES:-10000}
iterations=${ITERATIONS:-20}
dir=build/bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oom_bench.XXXXXX")
started=()  # pids of what this script started, killed on exit

cleanup() {
  for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== $dir: configure and build (Release)"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DOOM_BENCH=ON \
  -DOOM_BUILD_TESTS=OFF >/dev/null
cmake --build "$dir" -j 2 --target process_bench oom_exporter >/dev/null
cc -O2 -Wall -o "$dir/spawn_idle" tests/bench/spawn_idle.c

echo "== starting $idle idle processes"
"$dir/spawn_idle" "$idle" >"$tmp/spawn.out" &
started+=($!)
for _ in $(seq 1 600); do
  grep -q '^ready' "$tmp/spawn.out" && break
  sleep 0.1
done
grep '^ready' "$tmp/spawn.out" || { echo "spawn_idle did not get ready" >&2; exit 1; }
processes=$(ls /proc | grep -c '^[0-9]' || true)
echo "processes on the machine: $processes"

clk=$(getconf CLK_TCK)
# cpu_ticks PID: utime + stime of PID (fields 14 and 15, after the comm).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_http URL: until it answers (30 s at most).
wait_http() {
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $1" >&2
  return 1
}
# scrape_cpu NAME PID URL: prints "NAME_us_per_scrape N" from the CPU the
# process spent over $iterations scrapes, after one warm-up scrape.
scrape_cpu() {
  local name=$1 pid=$2 url=$3
  wait_http "$url"
  curl -fsS -o /dev/null "$url"
  local before after
  before=$(cpu_ticks "$pid")
  for _ in $(seq 1 "$iterations"); do curl -fsS -o "$tmp/$name.txt" "$url"; done
  after=$(cpu_ticks "$pid")
  awk -v t=$((after - before)) -v clk="$clk" -v n="$iterations" -v name="$name" \
    'BEGIN { printf "%s_us_per_scrape %.0f\n", name, t / clk / n * 1e6 }'
}

# Every figure, one "name value" per line on stdout. Not run in a pipeline:
# the exporters started here would hold the pipe open.
measure() {
  echo "== naive C loop (4 files per pid) and Collect() alone, interleaved" >&2
  "$dir/process_bench" "$iterations"

  echo "== oom_exporter, process collector only, over HTTP" >&2
  "$dir/oom_exporter" --web.listen-address=127.0.0.1:0 --no-collector.kmsg \
    --no-collector.memory --no-collector.cgroup >/dev/null 2>"$tmp/exporter.log" &
  exporter=$!
  started+=("$exporter")
  port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*msg=listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/exporter.log")
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  scrape_cpu exporter "$exporter" "http://127.0.0.1:$port/metrics"
  awk '/^VmRSS|^VmHWM/ { printf "exporter_%s_kb %s\n", substr($1, 1, length($1) - 1), $2 }' \
    "/proc/$exporter/status"
  echo "exporter_series $(grep -c '^oom_' "$tmp/exporter.txt")"
  kill "$exporter"
  wait "$exporter" 2>/dev/null || true

  if command -v prometheus-process-exporter >/dev/null; then
    cat >"$tmp/process-exporter.yml" <<'YAML'
process_names:
  - name: "{{.Comm}}"
    cmdline:
      - '.+'
YAML
    for variant in defaults cheapest; do
      echo "== process-exporter ($variant), every process grouped by name" >&2
      flags=()
      [[ $variant == cheapest ]] && flags=(-gather-smaps=false -threads=false)
      pe_port=$(free_port)
      prometheus-process-exporter -config.path "$tmp/process-exporter.yml" \
        -web.listen-address "127.0.0.1:$pe_port" "${flags[@]+"${flags[@]}"}" >"$tmp/pe.log" 2>&1 &
      pe=$!
      started+=("$pe")
      scrape_cpu "process_exporter_$variant" "$pe" "http://127.0.0.1:$pe_port/metrics"
      kill "$pe"
      wait "$pe" 2>/dev/null || true
    done
  else
    echo "prometheus-process-exporter not installed: skipped" >&2
  fi
}
measure >"$tmp/results.txt"
cat "$tmp/results.txt"

echo "== summary ($processes processes, median or mean of $iterations scrapes)"
awk '
  { value[$1] = $2 }
  END {
    naive = value["naive_loop_us_per_iteration"]
    collector = value["collector_us_per_scrape"]
    exporter = value["exporter_us_per_scrape"]
    printf "naive loop:                   %8.1f ms per pass\n", naive / 1000
    printf "process collector (Collect):  %8.1f ms per scrape = %.2f of the naive loop\n",
      collector / 1000, collector / naive
    printf "oom_exporter over HTTP:       %8.1f ms per scrape = %.2f of the naive loop\n",
      exporter / 1000, exporter / naive
    for (v = 1; v <= 2; ++v) {
      key = v == 1 ? "process_exporter_defaults_us_per_scrape" : "process_exporter_cheapest_us_per_scrape"
      if (key in value) {
        printf "process-exporter (%s): %8.1f ms per scrape = %.0fx oom_exporter over HTTP\n",
          v == 1 ? "defaults" : "cheapest", value[key] / 1000, value[key] / exporter
      }
    }
    printf "oom_exporter RSS after the scrapes: %.1f MB (peak %.1f MB)\n",
      value["exporter_VmRSS_kb"] / 1024, value["exporter_VmHWM_kb"] / 1024
  }' "$tmp/results.txt"
