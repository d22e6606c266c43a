#!/usr/bin/env bash
# The alert rules against this machine's real kernel and a real Prometheus
# (the Debian package), all on 127.0.0.1 (issue 14, "early warning that
# tells the truth"). Two memory cgroups at once, in one Prometheus run:
#   A, page cache: a 64 MiB cgroup that reads a 200 MiB file on disk twice
#      (16 MiB at a time, so that the second reads make pages active), so
#      page cache fills it to its limit; then a keeper re-reads its last
#      56 MiB every 20 s until the end, so that it stays full.
#      Prometheus must have seen its usage above 90 % of the limit, and no
#      alert about it, pending or firing, over the whole run.
#   B, leak: a 1024 MiB cgroup in which a process (tests/support/leak.c)
#      leaks 3 MiB/s from nothing until the kernel kills it (~340 s). At
#      least one alert about it must have been firing before the kill. How
#      long before is printed, one line per alert, and never asserted:
#        early_warning: NAME firing N s before the kill (pending M s before)
# The exporter scrapes the real /proc and /sys, Prometheus scrapes and
# evaluates every second with a fresh TSDB. Ports, cgroup names and
# directories are this run's own, so runs can overlap. Takes about 6
# minutes. Needs root and a memory controller (cgroup v1 at
# /sys/fs/cgroup/memory, else cgroup v2 at /sys/fs/cgroup); skips (77)
# saying why without them.
#
#   tests/e2e/early_warning_test.sh build/test/oom_exporter
#   tests/e2e/early_warning_test.sh build/test/oom_exporter --rules FILE...
#   tests/e2e/early_warning_test.sh build/test/oom_exporter --measure-only \
#     --rules /tmp/rules-before.yml
# --rules: the rule files to load (default deploy/prometheus/rules/*.yml).
# --measure-only: prints everything and asserts nothing on the alerts, for
#   measuring rules that are known to fail (e.g. those before issue 14:
#   `git show 5b86882:deploy/prometheus/rules/oom_exporter.rules.yml`); the
#   setup is still checked (A filled, B killed by the kernel). Never for CI.
# --leak PATH: the leak program (default $OOM_LEAK, which ctest sets, else
#   tests/oom_leak beside the exporter in its build directory).
# OOM_E2E_DISK_DIR: where the file of A is written (default /var/tmp; must
#   not be tmpfs).
set -euo pipefail

BINARY=""
RULES=()
MEASURE_ONLY=""
LEAK=${OOM_LEAK:-}
while [[ $# -gt 0 ]]; do
  case $1 in
    --rules)
      shift
      while [[ $# -gt 0 && $1 != --* ]]; do
        RULES+=("$(realpath "$1")")
        shift
      done
      ;;
    --measure-only) MEASURE_ONLY=1 && shift ;;
    --leak) LEAK=$(realpath "$2") && shift 2 ;;
    -*) echo "early_warning_test: unknown flag $1" >&2 && exit 2 ;;
    *) BINARY=$(realpath "$1") && shift ;;
  esac
done
if [[ -z "$BINARY" ]]; then
  echo "usage: early_warning_test.sh path/to/oom_exporter [--rules FILE...] [--measure-only] [--leak PATH]" >&2
  exit 2
fi
[[ -n "$LEAK" ]] || LEAK=$(dirname "$BINARY")/tests/oom_leak
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh
[[ ${#RULES[@]} -gt 0 ]] || RULES=("$PWD"/deploy/prometheus/rules/*.yml)
START=$SECONDS

LIMIT_A=$((64 << 20))
LIMIT_B=$((1024 << 20))
LEAK_MIB_PER_S=3
FILE_MIB=200

skip() {
  echo "skip: $*"
  exit 77
}
[[ $(id -u) -eq 0 ]] || skip "creating memory cgroups needs root"
find_memory_controller || skip "$MEMCG_MISSING"
for tool in prometheus node curl; do
  command -v "$tool" >/dev/null ||
    { echo "early_warning_test: $tool is missing (deploy/install-deps.sh --test installs it)" >&2 && exit 1; }
done
[[ -x "$LEAK" ]] || { echo "early_warning_test: $LEAK missing: build first (cmake --build)" >&2 && exit 1; }

# The file of A goes on a disk filesystem: tmpfs pages are shmem, which
# without swap the kernel cannot reclaim, so reading them would be the leak
# of B, not page cache; /tmp is tmpfs on many machines, /var/tmp rarely.
DISK_DIR=${OOM_E2E_DISK_DIR:-/var/tmp}
case $(stat -f -c %T "$DISK_DIR") in
  tmpfs | ramfs)
    echo "early_warning_test: $DISK_DIR is $(stat -f -c %T "$DISK_DIR"); set OOM_E2E_DISK_DIR to a directory on disk" >&2
    exit 1
    ;;
esac

# This run's names: its temporary directory's random suffix.
RUN_ID=${E2E_TMP##*.}
NAME_A=oom_e2e_${RUN_ID}_cache
NAME_B=oom_e2e_${RUN_ID}_leak
DIR_A=$CGROOT/$NAME_A
DIR_B=$CGROOT/$NAME_B
FILE_DIR=""
LEAK_PID=""
READER_PID=""
KEEPER_PID=""

cleanup_all() {
  for pid in $LEAK_PID $READER_PID $KEEPER_PID; do kill -9 "$pid" 2>/dev/null || true; done
  for pid in $PROMETHEUS_PID $EXPORTER_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $LEAK_PID $READER_PID $KEEPER_PID $PROMETHEUS_PID $EXPORTER_PID; do wait "$pid" 2>/dev/null || true; done
  remove_memory_cgroup "$DIR_A"
  remove_memory_cgroup "$DIR_B"
  [[ -z "$FILE_DIR" ]] || rm -rf "$FILE_DIR"
  rm -rf "$E2E_TMP"
}
trap cleanup_all EXIT

# stat_field DIR NAME: a field of the cgroup's memory.stat (v1: the
# hierarchical total_NAME).
stat_field() {
  local key=$2
  [[ -n "$V2" ]] || key=total_$2
  awk -v key="$key" '$1 == key { print $2 }' "$1/memory.stat"
}
usage() { if [[ -n "$V2" ]]; then cat "$1/memory.current"; else cat "$1/memory.usage_in_bytes"; fi; }
# oom_kills DIR: the kernel's count of OOM kills in the cgroup.
oom_kills() {
  if [[ -n "$V2" ]]; then
    awk '$1 == "oom_kill" { print $2 }' "$1/memory.events"
  else
    awk '$1 == "oom_kill" { print $2 }' "$1/memory.oom_control"
  fi
}
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

make_memory_cgroup "$DIR_A" "$LIMIT_A"
make_memory_cgroup "$DIR_B" "$LIMIT_B"
echo "cgroups: $DIR_A (64 MiB), $DIR_B (1024 MiB), cgroup $([[ -n "$V2" ]] && echo v2 || echo v1)"

# 1. The exporter on the real /proc, /sys and /dev/kmsg, its state file
# nowhere: a kill it saw in an earlier run is not new.
start_exporter --collector.cgroup --collector.kmsg.state-file=
echo "exporter on 127.0.0.1:$PORT"

# 2. Prometheus on a free loopback port (asked from the kernel, then bound by
# Prometheus: another process could take it in between, so retry).
cat >"$E2E_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
$(for f in "${RULES[@]}"; do echo "  - $f"; done)
scrape_configs:
  - job_name: oom_exporter
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
start_prometheus "$E2E_TMP/prometheus.yml"
T0=$(date +%s)
echo "prometheus on ${PROM#http://}, rules: ${RULES[*]}"

# query EXPR TIME [LABEL...]: an instant query at TIME; one line per series:
# the values of the LABELs, then the sample's value, tab-separated.
query() {
  local expr=$1 time=$2
  shift 2
  curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$expr" --data-urlencode "time=$time" |
    node -e '
      let text = "";
      process.stdin.on("data", (d) => (text += d)).on("end", () => {
        const labels = process.argv.slice(1);
        for (const s of JSON.parse(text).data.result) {
          console.log([...labels.map((l) => s.metric[l] ?? ""), s.value[1]].join("\t"));
        }
      });' "$@"
}
# wait_evaluated TIME: waits until Prometheus has evaluated every rule group
# after TIME (the groups' lastEvaluation in its rules API), so that the
# ALERTS series hold every evaluation up to TIME.
wait_evaluated() {
  local time=$1 oldest
  while true; do
    oldest=$(curl -fsS "$PROM/api/v1/rules" | node -e '
      let text = "";
      process.stdin.on("data", (d) => (text += d)).on("end", () => {
        const groups = JSON.parse(text).data.groups;
        console.log(Math.min(...groups.map((g) => Date.parse(g.lastEvaluation) / 1000)));
      });')
    if awk -v a="$oldest" -v b="$time" 'BEGIN { exit !(a > b) }'; then return 0; fi
    kill -0 "$PROMETHEUS_PID" || { echo "prometheus died" >&2 && exit 1; }
    sleep 0.2
  done
}

# The exporter's cgroup label is the path in the hierarchy. Start only when
# Prometheus has both cgroups' limits, so that it sees B's leak from nothing.
CG_A=/$NAME_A
CG_B=/$NAME_B
while [[ -z "$(query "oom_cgroup_memory_limit_bytes{cgroup=\"$CG_B\"} and on () oom_cgroup_memory_limit_bytes{cgroup=\"$CG_A\"}" "$(date +%s.%N)")" ]]; do
  kill -0 "$EXPORTER_PID" || { echo "the exporter died; its log:" >&2 && cat "$EXPORTER_LOG" >&2 && exit 1; }
  sleep 0.2
done
echo "prometheus has both cgroups after $((SECONDS - START)) s"

# 3. B: the leak, in its cgroup from its first instruction (the subshell
# joins the cgroup, then becomes the leak). At most twice its limit: beyond
# that the limit did not hold, and it exits 2 on its own.
(
  echo "$BASHPID" >"$DIR_B/cgroup.procs"
  exec "$LEAK" "$LEAK_MIB_PER_S" $((2 * LIMIT_B >> 20))
) &
LEAK_PID=$!
echo "leak: pid $LEAK_PID, $LEAK_MIB_PER_S MiB/s in $CG_B"

# 4. A, meanwhile: the file is written around the page cache (O_DIRECT), so
# none of it is cached beforehand and the reads inside the cgroup are what
# charge it. Every byte is read twice, 16 MiB at a time: the second read
# finds the pages of the first in the cache and makes them active
# (active_file), which the kubelet's working set still counts. Two reads of
# the whole file would not: 200 MiB through a 64 MiB cgroup leaves nothing
# of the first read for the second (measured here: active_file 0).
FILE_DIR=$(mktemp -d "$DISK_DIR/oom_e2e_cache.XXXXXX")
dd if=/dev/zero of="$FILE_DIR/file" bs=1M count="$FILE_MIB" oflag=direct status=none
(
  echo "$BASHPID" >"$DIR_A/cgroup.procs"
  for ((mib = 0; mib < FILE_MIB; mib += 16)); do
    for _ in 1 2; do
      dd if="$FILE_DIR/file" of=/dev/null bs=1M skip="$mib" count=16 status=none
    done
  done
) &
READER_PID=$!
status=0
wait "$READER_PID" || status=$?
READER_PID=""
CHECKS=$((CHECKS + 1))
if [[ $status -eq 0 ]]; then
  pass "A: read the $FILE_MIB MiB file twice over in its 64 MiB cgroup"
else
  fail "A: the reads of the file ended with status $status"
fi
# A stays full until the end, as the cache of a reader of hot files (a log
# shipper, a database) does: proactive reclaim would otherwise empty it
# (this machine runs DAMON's pageout on memory untouched for 60 s:
# /sys/kernel/mm/damon/admin/kdamonds/0, age/min 12 of 5 s intervals), and
# the check below would cover only the minutes before. A keeper in A reads
# the file's last 56 MiB again every 20 s, mostly from the cache, with a
# 64 KiB buffer: its own unreclaimable memory is a shell and a dd.
(
  echo "$BASHPID" >"$DIR_A/cgroup.procs"
  while :; do
    dd if="$FILE_DIR/file" of=/dev/null bs=64K skip=$(((FILE_MIB - 56) * 16)) \
      count=$((56 * 16)) status=none
    sleep 20
  done
) &
KEEPER_PID=$!
echo "A after the reads: usage $(mib "$(usage "$DIR_A")"), active_file $(mib "$(stat_field "$DIR_A" active_file)"), inactive_file $(mib "$(stat_field "$DIR_A" inactive_file)"), anon $(mib "$(stat_field "$DIR_A" "$([[ -n "$V2" ]] && echo anon || echo rss)")")"

# kill_time PID: the wall-clock time of the kernel's "Killed process PID"
# line in /dev/kmsg, whose stamp is the kernel's monotonic clock; empty when
# the log cannot be read or does not hold it.
kill_time() {
  node -e '
    const fs = require("fs");
    const pid = process.argv[1];
    let fd;
    try {
      fd = fs.openSync("/dev/kmsg", fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      process.exit(0);
    }
    const buffer = Buffer.alloc(8192);
    let stamp;
    for (;;) {
      let n;
      try {
        n = fs.readSync(fd, buffer, 0, buffer.length, null);
      } catch (e) {
        if (e.code === "EPIPE") continue;  // overwritten while we read
        break;  // EAGAIN: the end of the log
      }
      const record = buffer.toString("utf8", 0, n);
      const text = record.slice(record.indexOf(";") + 1);
      if (new RegExp(`Killed process ${pid} `).test(text)) {
        stamp = Number(record.split(",")[2]) / 1e6;
      }
    }
    if (stamp !== undefined) {
      const monotonic = Number(process.hrtime.bigint()) / 1e9;
      console.log((Date.now() / 1000 - (monotonic - stamp)).toFixed(3));
    }' "$1"
}

# 5. B's end: the kernel's own signals, waitpid's SIGKILL and the cgroup's
# oom_kill count. The kill's time is the kernel's own, from its log: the
# moment waitpid returns comes later, after the kernel has freed the 1 GiB,
# and the exporter can see the kill in between.
status=0
wait "$LEAK_PID" || status=$?
T_REAPED=$(date +%s.%N)
KILLS_B=$(oom_kills "$DIR_B")
T_KILL=$(kill_time "$LEAK_PID")
if [[ -z "$T_KILL" ]]; then
  echo "the kernel log has no kill of $LEAK_PID: the kill's time is when waitpid returned"
  T_KILL=$T_REAPED
fi
echo "leak ended with status $status at $(awk -v a="$T_KILL" -v b="$T0" 'BEGIN { printf "%.1f", a - b }') s of the run (reaped $(awk -v a="$T_REAPED" -v b="$T_KILL" 'BEGIN { printf "%.2f", a - b }') s later); oom_kill of $CG_B: $KILLS_B"
LEAK_PID=""
CHECKS=$((CHECKS + 1))
if [[ $status -eq $((128 + 9)) && ${KILLS_B:-0} -ge 1 ]]; then
  pass "B: the leak was killed by SIGKILL and the kernel counted an OOM kill in its cgroup"
else
  fail "B: the leak was not OOM-killed (status $status, oom_kill ${KILLS_B:-none})"
fi

# 6. What Prometheus saw before the kill. Each alert's first active and
# first firing evaluation: timestamp() of ALERTS gives the evaluation's own
# time, and min_over_time over a subquery of 1 s steps from the start of
# the run finds the earliest one, to the evaluation interval (1 s).
wait_evaluated "$T_KILL"
WINDOW_B=$(awk -v a="$T_KILL" -v b="$T0" 'BEGIN { printf "%d", a - b + 2 }')
first_active() {  # first_active CGROUP STATE_MATCHER TIME WINDOW
  query "min by (alertname) (min_over_time(timestamp(ALERTS{cgroup=\"$1\",alertstate=~\"$2\"})[$4s:1s]))" "$3" alertname
}
first_active "$CG_B" "pending|firing" "$T_KILL" "$WINDOW_B" >"$E2E_TMP/b_active"
first_active "$CG_B" "firing" "$T_KILL" "$WINDOW_B" >"$E2E_TMP/b_firing"
FIRED_BEFORE=0
while IFS=$'\t' read -r name active; do
  firing=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$E2E_TMP/b_firing")
  before_active=$(awk -v a="$T_KILL" -v b="$active" 'BEGIN { printf "%.0f", a - b }')
  if [[ -n "$firing" ]]; then
    FIRED_BEFORE=$((FIRED_BEFORE + 1))
    before_firing=$(awk -v a="$T_KILL" -v b="$firing" 'BEGIN { printf "%.0f", a - b }')
    echo "early_warning: $name firing $before_firing s before the kill (pending $before_active s before)"
  else
    echo "early_warning: $name not firing before the kill (pending $before_active s before)"
  fi
done <"$E2E_TMP/b_active"
[[ -s "$E2E_TMP/b_active" ]] || echo "early_warning: no alert about $CG_B before the kill, pending or firing"

# 7. A, at the end of the run: its usage as Prometheus saw it, and every
# alert about it, counted in evaluations (seconds) by name and state.
T_END=$(date +%s.%N)
wait_evaluated "$T_END"
WINDOW_A=$(awk -v a="$T_END" -v b="$T0" 'BEGIN { printf "%d", a - b + 2 }')
RATIO_A=$(query "max_over_time(oom_cgroup_memory_usage_bytes{cgroup=\"$CG_A\"}[${WINDOW_A}s]) / on (cgroup) max_over_time(oom_cgroup_memory_limit_bytes{cgroup=\"$CG_A\"}[${WINDOW_A}s])" "$T_END")
# The series of issue 14 where this exporter has them (none before it).
for series in unreclaimable working_set; do
  highest=$(query "max_over_time(oom_cgroup_memory_${series}_bytes{cgroup=\"$CG_A\"}[${WINDOW_A}s])" "$T_END")
  [[ -z "$highest" ]] || echo "A: highest $series: $(mib "$highest")"
done
FULL_A=$(query "min_over_time(timestamp(oom_cgroup_memory_usage_bytes{cgroup=\"$CG_A\"} / on (cgroup) oom_cgroup_memory_limit_bytes > 0.9)[${WINDOW_A}s:1s])" "$T_END")
# Idle page cache does not stay forever: proactive reclaim (e.g. DAMON's
# pageout, on this machine) takes cold pages, so the cgroup may leave 90 %
# before the end. How long it stayed, and what is left.
ABOVE_A=$(query "count_over_time((oom_cgroup_memory_usage_bytes{cgroup=\"$CG_A\"} / on (cgroup) oom_cgroup_memory_limit_bytes > 0.9)[${WINDOW_A}s:1s])" "$T_END")
echo "A: highest usage / limit seen by Prometheus: ${RATIO_A:-none}, first above 0.9 at $(awk -v a="${FULL_A:-0}" -v b="$T0" 'BEGIN { printf "%.0f", a - b }') s of the run, above it for ${ABOVE_A:-0} s of $WINDOW_A; at the end usage $(mib "$(usage "$DIR_A")")"
query "sum by (alertname, alertstate) (count_over_time(ALERTS{cgroup=\"$CG_A\"}[${WINDOW_A}s]))" "$T_END" \
  alertname alertstate >"$E2E_TMP/a_alerts"
while IFS=$'\t' read -r name state count; do
  echo "false_alarm: $name $state for $count evaluations (s) about $CG_A"
done <"$E2E_TMP/a_alerts"
[[ -s "$E2E_TMP/a_alerts" ]] || echo "false_alarm: none about $CG_A"

# Gaps reset an alert's `for`: scrapes that failed (up 0, e.g. slower than
# the 1 s timeout), scrapes without A's series, and the rules' errors.
echo "scrapes: $(query "sum_over_time(up[${WINDOW_A}s])" "$T_END") of $(query "count_over_time(up[${WINDOW_A}s])" "$T_END") succeeded, slowest $(query "max_over_time(scrape_duration_seconds[${WINDOW_A}s])" "$T_END") s; A's usage in $(query "count_over_time(oom_cgroup_memory_usage_bytes{cgroup=\"$CG_A\"}[${WINDOW_A}s])" "$T_END"), its info in $(query "count_over_time(oom_cgroup_info{cgroup=\"$CG_A\"}[${WINDOW_A}s])" "$T_END")"
query "sum by (alertname) (changes(ALERTS_FOR_STATE{cgroup=\"$CG_A\"}[${WINDOW_A}s]) + 1)" "$T_END" alertname |
  while IFS=$'\t' read -r name starts; do echo "false_alarm: $name became active $starts times"; done
query "min by (alertname) (min_over_time(ALERTS_FOR_STATE{cgroup=\"$CG_A\"}[${WINDOW_A}s]))" "$T_END" alertname |
  while IFS=$'\t' read -r name at; do
    echo "false_alarm: $name first active at $(awk -v a="$at" -v b="$T0" 'BEGIN { printf "%.0f", a - b }') s of the run"
  done
# Rule groups whose evaluation took longer than the 1 s interval skip
# evaluations, and then alerts have fewer samples than seconds.
curl -fsS "$PROM/metrics" | awk '
  /^prometheus_rule_group_iterations_total/ { total += $2 }
  /^prometheus_rule_group_iterations_missed_total/ { missed += $2 }
  /^prometheus_rule_group_last_duration_seconds/ { if ($2 > slowest) slowest = $2 }
  END { printf "rule groups: %d evaluations, %d missed, the last took up to %.3f s\n", total, missed, slowest }'
if grep -q . "$E2E_TMP/prometheus.log"; then
  echo "prometheus warned:"
  tail -20 "$E2E_TMP/prometheus.log"
fi

CHECKS=$((CHECKS + 1))
if awk -v r="${RATIO_A:-0}" 'BEGIN { exit !(r > 0.9) }'; then
  pass "A: Prometheus saw the page cache fill the cgroup above 90 % of its limit"
else
  fail "A: Prometheus never saw the cgroup above 90 % of its limit (${RATIO_A:-no series}): its quiet proves nothing"
fi
if [[ -n "$MEASURE_ONLY" ]]; then
  echo "measure-only: the alerts are not asserted"
else
  CHECKS=$((CHECKS + 2))
  if [[ ! -s "$E2E_TMP/a_alerts" ]]; then
    pass "A: no alert about the cgroup full of page cache, pending or firing"
  else
    fail "A: alerts about the cgroup full of page cache (false_alarm lines above)"
  fi
  if [[ $FIRED_BEFORE -gt 0 ]]; then
    pass "B: $FIRED_BEFORE alert(s) about the leaking cgroup firing before the kill"
  else
    fail "B: no alert about the leaking cgroup was firing before the kill"
  fi
fi

echo "early_warning_test: took $((SECONDS - START)) s"
finish early_warning_test "$CHECKS"
