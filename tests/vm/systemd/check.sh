#!/bin/bash
# The checks of tests/vm/systemd/run.sh, run in its VM by the oneshot
# oom-unit-check.service (check.service) after oom_exporter.service:
#   /usr/local/lib/oom-test/check.sh
# Checks the shipped unit on systemd: installed unchanged and enabled, its
# DynamicUser, CAP_SYSLOG alone, every collector, a real OOM kill in a
# transient unit counted with the unit's name, the state file in the
# StateDirectory, and a restart that counts nothing twice. Each result is one
# console line of tests/vm/guest/lib.sh's protocol, "@@ PASS systemd-unit: ..."
# or "@@ FAIL systemd-unit: ...: expected X, got Y", then "@@ DONE"; after a
# failure, the exporter's journal and the kernel's OOM lines as "@@L " lines.
set -euo pipefail

SCENARIO=systemd-unit
CGROUP_MODE=v2  # for lib.sh
here=/usr/local/lib/oom-test
# shellcheck source=SCRIPTDIR/../guest/lib.sh
. "$here/lib.sh"

UNIT=oom_exporter.service
UNIT_FILE=/etc/systemd/system/$UNIT
HOG_UNIT=oomtest.service
HOG_CGROUP=/system.slice/$HOG_UNIT
STATE_DIR=/var/lib/private/oom_exporter

# A command that fails unexpectedly ends the script (set -e): say so.
finished=0
trap '[[ $finished == 1 ]] || say "@@ FAIL $SCENARIO: check.sh: expected to run to the end, got status $? (see above)"' EXIT

# lib.sh's helpers use busybox's wget and usleep; Debian has curl and sleep.
scrape() { curl -sf --max-time 10 "$URL/metrics"; }
usleep() { sleep "$(awk -v us="$1" 'BEGIN { print us / 1e6 }')"; }

# wait_healthz SECONDS: true once the exporter answers /healthz.
wait_healthz() {
  local deadline=$(($(date +%s) + $1))
  until curl -sf --max-time 5 -o /dev/null "$URL/healthz"; do
    if [[ $(date +%s) -ge $deadline ]]; then return 1; fi
    sleep 0.1
  done
}

main_pid() { systemctl show -p MainPID --value "$UNIT"; }

# status_field PID FIELD: a field of /proc/PID/status, e.g. CapEff.
status_field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

# capabilities HEX: their names, as capsh decodes them ("none" when empty).
capabilities() {
  local names
  names=$(capsh --decode="$1" | cut -d= -f2)
  echo "${names:-none}"
}

check_installation() {
  expect "unit file installed unchanged (sha256 of deploy/systemd/oom_exporter.service)" \
    "$(cat "$here/shipped.sha256")" "$(sha256sum <"$UNIT_FILE" | cut -d' ' -f1)"
  expect "unit loaded from $UNIT_FILE" "$UNIT_FILE" \
    "$(systemctl show -p FragmentPath --value "$UNIT")"
  expect "no drop-ins (DropInPaths empty)" "" "$(systemctl show -p DropInPaths --value "$UNIT")"
  expect "systemctl is-enabled: enabled" enabled "$(systemctl is-enabled "$UNIT" || true)"
  expect "ActiveState active" active "$(systemctl show -p ActiveState --value "$UNIT")"
  expect "SubState running" running "$(systemctl show -p SubState --value "$UNIT")"
}

# The running process's command line is the file's ExecStart= line.
check_exec_start() {
  local pid=$1 line
  line=$(sed -n 's/^ExecStart=//p' "$UNIT_FILE")
  expect "ExecStart (systemctl show) is the file's" "$line" \
    "$(systemctl show -p ExecStart --value "$UNIT" | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')"
  expect "process command line is the file's ExecStart: $line" "$line" \
    "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')"
}

check_identity() {
  local pid=$1 uid gid name
  uid=$(status_field "$pid" Uid | awk '{ print $1 }')
  if [[ $uid =~ ^[0-9]+$ && $uid != 0 ]]; then
    pass "runs as a dynamic user, not root (uid $uid)"
  else
    fail "runs as a dynamic user, not root" "a uid other than 0" "$uid"
  fi
  expect "real, effective, saved and fs uids equal" "$uid $uid $uid $uid" \
    "$(status_field "$pid" Uid | tr -s '\t ' ' ')"
  name=$(getent passwd "$uid" | cut -d: -f1 || true)
  expect "user name of uid $uid: oom_exporter" oom_exporter "${name:-none}"
  gid=$(status_field "$pid" Gid | awk '{ print $1 }')
  name=$(getent group "$gid" | cut -d: -f1 || true)
  expect "group name of gid $gid: oom_exporter" oom_exporter "${name:-none}"
  expect "supplementary groups: its own ($gid) alone" "$gid" "$(status_field "$pid" Groups)"
}

# check_capabilities PID [PREFIX]: CAP_SYSLOG alone, no new privileges, a
# seccomp filter.
check_capabilities() {
  local pid=$1 prefix=${2:-} set hex
  for set in CapEff CapPrm CapAmb CapBnd; do
    hex=$(status_field "$pid" "$set")
    expect "${prefix}$set is CAP_SYSLOG alone (0x$hex)" cap_syslog "$(capabilities "0x$hex")"
  done
  expect "${prefix}NoNewPrivs 1" 1 "$(status_field "$pid" NoNewPrivs)"
  expect "${prefix}Seccomp 2 (a filter: SystemCallFilter)" 2 "$(status_field "$pid" Seccomp)"
}

check_collectors() {
  local collector
  for collector in memory kmsg process cgroup; do
    expect "oom_scrape_collector_success{collector=\"$collector\"} 1" 1 \
      "$(value oom_scrape_collector_success collector="$collector")"
  done
}

# Printed, not asserted: docs/deploy.md states the offline score.
report_security() {
  local level
  level=$(systemd-analyze security --no-pager "$UNIT" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]* [A-Z]*\).*/\1/p')
  if [[ -n $level ]]; then
    pass "systemd-analyze security $UNIT: exposure $level"
  else
    fail "systemd-analyze security $UNIT" "an exposure level" "none"
  fi
}

# oom_kill WHAT: runs the hog in a transient unit limited to 32 MiB and
# waits for it to end; systemd must see the kernel's OOM kill.
oom_kill() {
  systemctl reset-failed "$HOG_UNIT" 2>/dev/null || true
  timeout 60 systemd-run --quiet --wait --unit="$HOG_UNIT" -p MemoryMax=32M \
    /usr/local/bin/hog >/dev/null 2>&1 || true
  expect "$1: systemd-run --unit=$HOG_UNIT -p MemoryMax=32M hog: Result oom-kill" \
    oom-kill "$(systemctl show -p Result --value "$HOG_UNIT")"
}

# check_kills WHAT COUNT: the kernel log collector has COUNT kills of the hog.
check_kills() {
  expect "$1: oom_kills_total{cgroup=\"$HOG_CGROUP\",comm=\"hog\"} $2" "$2" \
    "$(wait_value 20 "$2" oom_kills_total scope=memcg cgroup="$HOG_CGROUP" comm=hog)"
  expect "$1: oom_kills_unlogged 0" 0 "$(wait_value 5 0 oom_kills_unlogged)"
}

check_cgroup_series() {
  expect "oom_cgroup_info{cgroup=\"$HOG_CGROUP\",unit=\"$HOG_UNIT\"} 1" 1 \
    "$(wait_value 10 1 oom_cgroup_info cgroup="$HOG_CGROUP" unit="$HOG_UNIT")"
  expect "oom_cgroup_memory_events_total{cgroup=\"$HOG_CGROUP\",event=\"oom_kill\"} 1" 1 \
    "$(wait_value 10 1 oom_cgroup_memory_events_total cgroup="$HOG_CGROUP" event=oom_kill)"
}

# wait_state_kill SECONDS COUNT: true once the state file holds the hog's
# kill line with COUNT.
wait_state_kill() {
  local deadline=$(($(date +%s) + $1))
  local line
  line=$(printf 'kill\tmemcg\t%s\thog\t%s' "$HOG_CGROUP" "$2")
  until grep -qxF "$line" "$STATE_DIR/kmsg.state" 2>/dev/null; do
    if [[ $(date +%s) -ge $deadline ]]; then return 1; fi
    sleep 0.1
  done
}

check_state_file() {
  local pid=$1 uid file=$STATE_DIR/kmsg.state
  uid=$(status_field "$pid" Uid | awk '{ print $1 }')
  expect "/var/lib/oom_exporter -> private/oom_exporter (DynamicUser)" private/oom_exporter \
    "$(readlink /var/lib/oom_exporter || echo none)"
  if wait_state_kill 10 1; then
    pass "$file holds the kill (kill memcg $HOG_CGROUP hog 1)"
  else
    fail "$file holds the kill" "a line kill memcg $HOG_CGROUP hog 1" \
      "$(grep -a '^kill' "$file" 2>/dev/null | tr '\t\n' ' ' || echo 'no file')"
  fi
  expect "state file's boot_id is this boot's" "$(cat /proc/sys/kernel/random/boot_id)" \
    "$(awk '$1 == "boot_id" { print $2 }' "$file" 2>/dev/null || true)"
  expect "$STATE_DIR: owner uid $uid, mode 700 (StateDirectoryMode=0700)" "$uid 700" \
    "$(stat -c '%u %a' "$STATE_DIR")"
  expect "$file: owner uid $uid, mode 600 (UMask=0077)" "$uid 600" "$(stat -c '%u %a' "$file")"
}

check_restart() {
  local old=$1 new start
  start=$(date +%s.%N)
  systemctl restart "$UNIT"
  if wait_healthz 30; then
    pass "after systemctl restart: /healthz answers again ($(awk -v s="$start" -v e="$(date +%s.%N)" \
      'BEGIN { printf "%.1f", e - s }') s after the restart began)"
  else
    fail "after systemctl restart: /healthz answers again" "an answer within 30 s" none
  fi
  new=$(main_pid)
  if [[ $new != 0 && $new != "$old" ]]; then
    pass "after systemctl restart: a new process (pid $old -> $new)"
  else
    fail "after systemctl restart: a new process" "a pid other than $old" "$new"
  fi
  # The kernel's ring is replayed before the first scrape is served.
  expect "after restart: oom_kills_total{cgroup=\"$HOG_CGROUP\",comm=\"hog\"} still 1" 1 \
    "$(value oom_kills_total cgroup="$HOG_CGROUP" comm=hog)"
  expect "after restart: oom_kills_unlogged 0" 0 "$(value oom_kills_unlogged)"
  check_capabilities "$new" "after restart: "
}

# The exporter's journal and the kernel's OOM lines, after a failure.
print_logs() {
  say "@@ LOG $SCENARIO: journalctl -u $UNIT"
  journalctl -u "$UNIT" --no-pager | tail -40 | sed 's/^/@@L /' || true
  say "@@ LOG $SCENARIO: the kernel's OOM lines"
  dmesg | grep -E 'invoked oom-killer|oom-kill:|Killed process|reaped|Memory cgroup|Out of memory' |
    tail -40 | sed 's/^/@@L /' || true
}

# run_checks PID: the checks of the running exporter, its kills and restart.
run_checks() {
  local pid=$1
  check_exec_start "$pid"
  check_identity "$pid"
  check_capabilities "$pid"
  expect "sysctl kernel.dmesg_restrict 1 (the kernel log needs CAP_SYSLOG)" 1 \
    "$(sysctl -n kernel.dmesg_restrict)"
  check_collectors
  report_security
  oom_kill "first kill"
  check_kills "first kill" 1
  check_cgroup_series
  check_state_file "$pid"
  check_restart "$pid"
  oom_kill "second kill, after the restart"
  check_kills "second kill, after the restart" 2
  expect "oom_cgroup_memory_events_total{cgroup=\"/system.slice\",event=\"oom_kill\"} 2" 2 \
    "$(wait_value 10 2 oom_cgroup_memory_events_total cgroup=/system.slice event=oom_kill)"
}

main() {
  local pid
  say ""  # the console's line may hold the firmware's last words
  say "@@ BEGIN $SCENARIO $(cut -d' ' -f1 /proc/uptime) $(uname -r) systemd $(systemctl --version | awk 'NR == 1 { print $2 }')"
  check_installation
  if wait_healthz 60; then
    pass "answers /healthz on 127.0.0.1:9968"
  else
    fail "answers /healthz on 127.0.0.1:9968" "an answer within 60 s" none
  fi
  pid=$(main_pid)
  if [[ $pid != 0 && -d /proc/$pid ]]; then
    run_checks "$pid"
  else
    fail "$UNIT has a main process" "a pid" "$pid"
  fi
  if [[ $FAILED == 1 ]]; then print_logs; fi
  say "@@ END $SCENARIO $(cut -d' ' -f1 /proc/uptime)"
  finished=1
  say "@@ DONE"
}

main
