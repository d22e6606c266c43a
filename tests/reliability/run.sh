#!/usr/bin/env bash
# The load and fault scenarios of issue 7 against the real binary, on
# 127.0.0.1 only. Builds nothing: give it the build directory that holds
# oom_exporter and tests/oom_loadgen (default: build).
#   tests/reliability/run.sh --quick [BUILD_DIR]   CI: about 3 minutes
#   tests/reliability/run.sh --full  [BUILD_DIR]   docs/reliability.md's numbers: about 13
# Each scenario starts a fresh exporter (its own state file in a temporary
# directory). Invariants are asserted (tests/reliability/loadgen.cc says
# which); latencies are measured and printed, never asserted. Real OOM kills
# happen only in a 32 MiB memory cgroup the load tool makes and removes; the
# full-disk case mounts a 64 KiB tmpfs and unmounts it. Without root or a
# memory controller those parts are skipped, saying why. Prints a markdown
# table for docs/reliability.md at the end; exits 1 when a scenario failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

MODE=quick
BUILD=build
for arg in "$@"; do
  case $arg in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    -*) echo "usage: $0 [--quick|--full] [BUILD_DIR]" >&2; exit 2 ;;
    *) BUILD=$arg ;;
  esac
done
BINARY=$BUILD/oom_exporter
LOADGEN=$BUILD/tests/oom_loadgen
for f in "$BINARY" "$LOADGEN"; do
  [[ -x $f ]] || { echo "$f missing: build first (cmake --build $BUILD)" >&2; exit 2; }
done
source tests/e2e/lib.sh

if [[ $MODE == full ]]; then
  SLOW_SECONDS=30 CHURN_SECONDS=600
else
  SLOW_SECONDS=10 CHURN_SECONDS=60
fi
FIXTURE=tests/fixtures/kmsg/records.kmsg
ROWS=()
SCENARIOS=0

# row SCENARIO COMMAND RESULT [STATUS]: one line of the markdown table; its status is
# FAIL when a check failed since the scenario began (begin).
BEGUN=0
begin() { BEGUN=$FAILURES; }
row() {
  local status=${4:-pass}
  [[ $FAILURES -gt $BEGUN ]] && status=FAIL
  ROWS+=("| $1 | \`$2\` | $status | $3 |")
}

# field NAME: a key=value of the last RESULT line.
field() { sed -n "s/^RESULT .* $1=\([^ ]*\).*/\1/p" <<<"$RESULT" | tail -1; }

# loadgen NAME ARGS...: runs one scenario of the load tool against the
# running exporter; its RESULT line is in $RESULT.
loadgen() {
  local name=$1
  shift
  SCENARIOS=$((SCENARIOS + 1))
  begin
  echo "== $name: oom_loadgen $*"
  local out status=0
  out=$("$LOADGEN" "$@" --port "$PORT" --pid "$EXPORTER_PID") || status=$?
  echo "$out"
  RESULT=$(grep '^RESULT ' <<<"$out" || true)
  if [[ $status -ne 0 ]]; then fail "$name (status $status)"; fi
  if ! kill -0 "$EXPORTER_PID" 2>/dev/null; then fail "$name: the exporter died"; fi
}

# stop_checked NAME: stops the exporter; it must exit 0.
stop_checked() {
  if ! stop_exporter; then fail "$1: the exporter did not exit cleanly"; fi
}

metrics() { "$LOADGEN" get --port "$PORT"; }

# kills: oom_logged_kills_total summed over scopes.
kills() { { metrics || true; } | awk '/^oom_logged_kills_total[{ ]/ {s += $NF} END {print s + 0}'; }

# wait_kills N: until the exporter shows N kills (at most 10 s); then prints
# the count it shows.
wait_kills() {
  local n
  for _ in $(seq 1 100); do
    n=$(kills)
    [[ $n -ge $1 ]] && break
    sleep 0.1
  done
  sleep 0.3
  kills
}

# expect DESCRIPTION ACTUAL EXPECTED
expect() {
  if [[ "$2" == "$3" ]]; then pass "$1: $2"; else fail "$1: $2, expected $3"; fi
}

# logged PATTERN: the exporter's current log has a line matching PATTERN.
logged() { { grep -E "$1" "$EXPORTER_LOG" || true; } | head -1; }

# records FIRST LAST: fixture records FIRST..LAST (line numbers).
records() { sed -n "$1,$2p" "$FIXTURE"; }

STATE_FLAGS=(--collector.kmsg.api-kills=1000)

# want NAME: whether to run scenario NAME (ONLY=scrape,churn runs only those).
want() { [[ -z ${ONLY:-} || ,$ONLY, == *,$1,* ]]; }

# 1. 64 concurrent scrapers for 30 s while real OOM kills happen.
if want scrape; then
mkdir -p "$E2E_TMP/storm"
start_exporter --collector.kmsg.state-file="$E2E_TMP/storm/state" "${STATE_FLAGS[@]}"
loadgen scrape scrape --clients 64 --seconds 30 --kill-every-ms 1000
stop_checked scrape
row "64 scrapers, 30 s, real OOM kills" "oom_loadgen scrape --clients 64 --seconds 30 --kill-every-ms 1000" \
  "$(field scrapes) scrapes ($(field scrapes_per_s)/s), $(field errors) errors, $(field decreases) counter decreases ($(field counter_series) counter series); kills provoked $(field kills_provoked), counted $(field kills_counted), each victim once in /api/v1/kills; latency p50 $(field p50_ms) ms, p99 $(field p99_ms) ms, max $(field max_ms) ms; RSS $(field rss_warm_kb) kB warm, $(field rss_end_kb) kB at the end"
fi

# 2. 100 slow clients hold connections; normal scrapes every 200 ms.
if want slow; then
mkdir -p "$E2E_TMP/slow"
start_exporter --collector.kmsg.state-file="$E2E_TMP/slow/state"
loadgen slow slow --clients 100 --seconds "$SLOW_SECONDS"
stop_checked slow
row "100 slow clients, normal scrapes every 200 ms" "oom_loadgen slow --clients 100 --seconds $SLOW_SECONDS" \
  "$(field scrapes) normal scrapes, $(field errors) errors (client timeout 15 s); latency p50 $(field p50_ms) ms, max $(field max_ms) ms; slow connections open at every scrape: at least $(field slow_open_min), dropped by the server (and reopened): $(field slow_dropped)"
fi

# 3. 10,000 malformed requests, then normal scrapes.
if want malformed; then
mkdir -p "$E2E_TMP/malformed"
start_exporter --collector.kmsg.state-file="$E2E_TMP/malformed/state"
loadgen malformed malformed --count 10000
stop_checked malformed
row "10,000 malformed requests" "oom_loadgen malformed --count 10000" \
  "$(field requests_per_s) requests/s; answers $(field answers); the exporter up, $(field scrapes_after) normal scrapes after with $(field errors_after) errors"
fi

# 4. A simulated ring overrun: records with sequence gaps through a file.
if want overrun; then
mkdir -p "$E2E_TMP/overrun"
: >"$E2E_TMP/overrun/kmsg"
start_exporter --collector.kmsg.path="$E2E_TMP/overrun/kmsg" \
  --collector.kmsg.state-file="$E2E_TMP/overrun/state" "${STATE_FLAGS[@]}"
loadgen overrun overrun --kmsg-file "$E2E_TMP/overrun/kmsg" --fixture "$FIXTURE" --rounds 3 --gap 500
stop_checked overrun
row "Ring overrun (simulated, a records file with sequence gaps)" "oom_loadgen overrun --rounds 3 --gap 500" \
  "$(field records_written) records written, $(field records_skipped) skipped: oom_kmsg_lost_records_total $(field lost_counted); kills $(field kills_counted) of $(field kills_expected) expected (a kill whose \"Killed process\" line survives counts once, one whose line was lost does not); $(field scrapes) scrapes, $(field decreases) counter decreases"
fi

# 5. Corrupt, truncated and empty state files: a clear log line, recovery.
if want state; then
SCENARIOS=$((SCENARIOS + 1))
begin
echo "== state: corrupt, truncated and empty state files"
dir=$E2E_TMP/state
mkdir -p "$dir"
printf 'oom_exporter kmsg state 7\n\x00\xff garbage \x01\nend\n' >"$dir/state"
state_results=()
for kind in garbage truncated empty; do
  case $kind in
    truncated) head -c "$(($(wc -c <"$dir/good") / 2))" "$dir/good" >"$dir/state" ;;
    empty) : >"$dir/state" ;;
  esac
  start_exporter --collector.kmsg.path="$FIXTURE" --collector.kmsg.state-file="$dir/state"
  line=$(logged 'kmsg state file unusable')
  if [[ -n $line ]]; then pass "$kind state file: $line"; else fail "$kind state file: no log line"; fi
  expect "$kind state file: kills counted again from the ring" "$(wait_kills 3)" 3
  stop_checked "state $kind"
  # The exporter saved a good file on exit: a restart takes it, no double count.
  cp "$dir/state" "$dir/good"
  start_exporter --collector.kmsg.path="$FIXTURE" --collector.kmsg.state-file="$dir/state"
  if [[ -z $(logged 'kmsg state file unusable') ]]; then
    pass "$kind state file: rewritten, taken at the next start"
  else
    fail "$kind state file: still unusable after a clean exit"
  fi
  expect "$kind state file: kills after the restart" "$(wait_kills 3)" 3
  stop_checked "state $kind"
  state_results+=("$kind: \`$(sed 's/.* err=\(".*"\)$/err=\1/' <<<"$line")\`")
done
row "Corrupt, truncated, empty state file" "tests/reliability/run.sh (state)" \
  "each logs one line, serves, counts the 3 kills of the ring again, saves a good file on exit that the next start takes (3 kills, not 6). Each log line: \`level=warn msg=\"kmsg state file unusable; counting again from the kernel ring\"\` with $(IFS=','; echo "${state_results[*]}" | sed 's/,/, /g')"
fi

# 6. A full disk under the state file: the save fails with a log line, the
# counts stay right, the next save after space is freed succeeds.
if want disk; then
SCENARIOS=$((SCENARIOS + 1))
begin
echo "== full disk: the state file on a 64 KiB tmpfs"
disk=$E2E_TMP/disk
mkdir -p "$disk/mnt"
if [[ $(id -u) -ne 0 ]] || ! mount -t tmpfs -o size=64k oom_reliability "$disk/mnt" 2>/dev/null; then
  echo "skipped: the full-disk case needs root to mount a tmpfs"
  row "Full disk" "tests/reliability/run.sh (full disk)" "needs root to mount a tmpfs" skipped
else
  unmount_disk() { umount "$disk/mnt" 2>/dev/null || true; }
  trap 'unmount_disk; cleanup' EXIT
  records 1 78 >"$disk/kmsg"
  start_exporter --collector.kmsg.path="$disk/kmsg" --collector.kmsg.state-file="$disk/mnt/state"
  expect "full disk: first kill" "$(wait_kills 1)" 1
  dd if=/dev/zero of="$disk/mnt/filler" bs=4k 2>/dev/null || true
  records 79 157 >>"$disk/kmsg"
  expect "full disk: second kill counted with the disk full" "$(wait_kills 2)" 2
  sleep 1.5  # the save after a quiet second
  save_line=$(logged 'cannot save kmsg state')
  if [[ -n $save_line ]]; then pass "full disk: $save_line"; else fail "full disk: no log line for the failed save"; fi
  rm -f "$disk/mnt/filler"
  records 158 235 >>"$disk/kmsg"
  expect "full disk: third kill after space was freed" "$(wait_kills 3)" 3
  sleep 1.5
  again_line=$(logged 'kmsg state saved again')
  if [[ -n $again_line ]]; then pass "full disk: $again_line"; else fail "full disk: no log line for the save that worked again"; fi
  stop_checked "full disk"
  # The ring has rotated: only the third kill's records are left. The state
  # file brings the first two back; the third is not counted twice.
  records 158 235 >"$disk/kmsg"
  start_exporter --collector.kmsg.path="$disk/kmsg" --collector.kmsg.state-file="$disk/mnt/state"
  expect "full disk: kills after a restart on a rotated ring" "$(wait_kills 3)" 3
  stop_checked "full disk"
  unmount_disk
  row "Full disk under the state file (64 KiB tmpfs)" "tests/reliability/run.sh (full disk)" \
    "the save fails with \`$(sed 's/^ts=[^ ]* //' <<<"$save_line" | cut -c1-80)...\`; counts stay right (2 of 2) and the exporter serves; after space is freed: \`$(sed 's/^ts=[^ ]* //' <<<"$again_line" | cut -c1-50)...\`; a restart on a ring holding only the last kill shows 3 kills, not 1 or 4"
fi
fi

# 7. Process churn with periodic OOM kills: RSS and file descriptors.
if want churn; then
mkdir -p "$E2E_TMP/churn"
start_exporter --collector.kmsg.state-file="$E2E_TMP/churn/state" "${STATE_FLAGS[@]}"
loadgen churn churn --rate 300 --seconds "$CHURN_SECONDS" --kill-every-s 15 --rss-bound-kb 1024
stop_checked churn
row "Process churn $CHURN_SECONDS s, OOM kill every 15 s" "oom_loadgen churn --rate 300 --seconds $CHURN_SECONDS --kill-every-s 15" \
  "$(field spawned) processes ($(field spawns_per_s)/s), $(field scrapes) scrapes, $(field errors) errors, $(field decreases) counter decreases; kills provoked $(field kills_provoked), counted $(field kills_counted); RSS $(field rss_warm_kb) kB warm, max $(field rss_max_kb) kB ($(field rss_growth_kb) kB above warm; bound 1024); fds $(field fds_start) at start, $(field fds_warm) warm, max $(field fds_max), $(field fds_end) at the end"
fi

echo
echo "Results ($MODE run, $(date -u +%Y-%m-%d), $(nproc) cores, Linux $(uname -r)):"
echo
echo "| scenario | command | status | result |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
finish "reliability ($MODE)" "$SCENARIOS"
