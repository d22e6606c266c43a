#!/usr/bin/env bash
# --run-as-user for real: started as root, the exporter becomes nobody on
# every thread (ids, no groups, no capabilities) before civetweb starts the
# threads that answer requests, and the kernel log it opened as root still
# shows a real OOM kill, provoked in a small memory cgroup of its own. Bad
# values (unknown user, uid 0, a start as non-root or without CAP_SETUID)
# are refused with exit status 2.

BINARY=${1:?usage: privdrop_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh


# expect_exit CODE PATTERN PREFIX... -- ARGS...: runs PREFIX $BINARY ARGS,
# checks the exit status and that the output matches the regexp PATTERN.
expect_exit() {
  local want=$1 pattern=$2 got=0 prefix=()
  shift 2
  while [[ "$1" != "--" ]]; do prefix+=("$1") && shift; done
  shift
  CHECKS=$((CHECKS + 1))
  # On a free port: an exporter that wrongly starts must not take 9968.
  timeout 10 "${prefix[@]}" "$BINARY" --web.listen-address=127.0.0.1:0 "$@" \
    >"$E2E_TMP/out.txt" 2>&1 || got=$?
  if [[ $got -ne $want ]]; then
    fail "${prefix[*]} oom_exporter $* exited $got, want $want: $(tail -n 3 "$E2E_TMP/out.txt")"
  elif ! grep -Eq -- "$pattern" "$E2E_TMP/out.txt"; then
    fail "${prefix[*]} oom_exporter $*: output does not match /$pattern/: $(tail -n 3 "$E2E_TMP/out.txt")"
  else
    pass "${prefix[*]} oom_exporter $* -> $want"
  fi
}

# --- refusals -------------------------------------------------------------
expect_exit 2 '^oom_exporter: error: --run-as-user: no user named "no-such-user-oom"$' \
  -- --run-as-user=no-such-user-oom "${FIXTURES[@]}"
expect_exit 2 '^oom_exporter: error: --run-as-user: root \(uid 0\) is root: switching to it drops nothing$' \
  -- --run-as-user=0 "${FIXTURES[@]}"
if [[ $(id -u) -ne 0 ]]; then
  expect_exit 2 "^oom_exporter: error: --run-as-user: switching to nobody \\(uid 65534\\) needs the exporter to start as root \\(it runs as uid $(id -u)\\)\$" \
    -- --run-as-user=nobody "${FIXTURES[@]}"
  echo "skip: the switch itself needs root"
  finish privdrop_test "$CHECKS"
  exit 0
fi
if command -v setpriv >/dev/null; then
  NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  expect_exit 2 '^oom_exporter: error: --run-as-user: switching to daemon \(uid 1\) needs the exporter to start as root \(it runs as uid 65534\)$' \
    "${NOBODY[@]}" -- --run-as-user=daemon "${FIXTURES[@]}"
  expect_exit 2 '^oom_exporter: error: --run-as-user: switching to nobody \(uid 65534\) needs CAP_SETUID and CAP_SETGID, which this root lacks' \
    setpriv --bounding-set=-setuid,-setgid -- --run-as-user=nobody "${FIXTURES[@]}"
  # Already that user: nothing to switch, it just runs.
  EXPORTER_PREFIX=("${NOBODY[@]}")
  start_exporter --run-as-user=nobody "${FIXTURES[@]}"
  EXPORTER_PREFIX=()
  stop_exporter || true
  check "already nobody: it runs and says so" \
    grep -q 'msg="already running as the --run-as-user user" user=nobody' "$EXPORTER_LOG"
else
  echo "skip: the non-root and capability refusals need setpriv"
fi

# --- TLS: a key only root may read, loaded before the switch ----------------
if command -v openssl >/dev/null; then
  tls=$E2E_TMP/tls
  install -d -m 0700 "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/server.key" \
    -out "$tls/server.crt" 2>/dev/null
  chmod 0600 "$tls/server.key"
  printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$tls/web.yml"
  start_exporter --run-as-user=nobody "${FIXTURES[@]}" "--web.config.file=$tls/web.yml"
  check "TLS with a root-only key: handshake and scrape after the switch" \
    bash -c "curl -s --max-time 10 --cacert '$tls/server.crt' 'https://127.0.0.1:$PORT/metrics' | grep -q '^oom_kernel_kills_total 1\$'"
  check "... and the exporter runs as nobody" \
    grep -q 'msg="switched user: running without privileges" user=nobody' "$EXPORTER_LOG"
  stop_exporter || true
  if command -v setpriv >/dev/null; then
    check "... and nobody could not have read the key itself" \
      bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$tls/server.key' >/dev/null 2>&1"
  fi
else
  echo "skip: no openssl to make a TLS key"
fi

# --- the switch, on the real kernel log --------------------------------------
MEMCG=/sys/fs/cgroup/memory
if [[ ! -w $MEMCG/cgroup.procs || ! -e $MEMCG/memory.limit_in_bytes ]]; then
  echo "skip: no writable cgroup v1 memory hierarchy at $MEMCG to provoke an OOM kill in"
  finish privdrop_test "$CHECKS"
  exit 0
fi
if ! timeout 2 dd if=/dev/kmsg of=/dev/null bs=8192 count=1 status=none 2>/dev/null; then
  echo "skip: this machine's /dev/kmsg cannot be read even as root"
  finish privdrop_test "$CHECKS"
  exit 0
fi

# Two cgroups of this test only: one made before the exporter starts (as
# root, it registers an OOM eventfd for it), one after the switch (nobody
# cannot: a watch failure). Both go away however the test ends.
NAME=oom_e2e_privdrop_$$
CGROUP=$MEMCG/$NAME
LATER=$MEMCG/${NAME}_later
remove_cgroups() {
  local dir
  for dir in "$CGROUP" "$LATER"; do
    [[ -d $dir ]] || continue
    # Anything left inside (a hog that outlived a failure) is killed first.
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$dir/cgroup.procs"
    for _ in $(seq 1 50); do rmdir "$dir" 2>/dev/null && break; sleep 0.1; done
  done
}
trap 'remove_cgroups; cleanup' EXIT
mkdir "$CGROUP"
echo 32M >"$CGROUP/memory.limit_in_bytes"
if [[ -e $CGROUP/memory.memsw.limit_in_bytes ]]; then
  echo 32M >"$CGROUP/memory.memsw.limit_in_bytes"  # no escape into swap
fi

chmod 0711 "$E2E_TMP"  # for the state directory of uid 65534
install -d -o 65534 -g 65534 -m 0700 "$E2E_TMP/state"
# Started as root with supplementary groups (when setpriv can give them), so
# that dropping them shows; under strace when it can trace, for the order of
# events.
EXPORTER_PREFIX=()
if command -v setpriv >/dev/null; then EXPORTER_PREFIX=(setpriv --groups=4,27); fi
STRACE_OK=false
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
  STRACE_OK=true
  # LeakSanitizer cannot work under ptrace (it aborts at exit): in the
  # sanitizer build, this one run goes without leak checking.
  EXPORTER_PREFIX+=(env "ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
    strace -f -qq -o "$E2E_TMP/trace" -e trace=setuid,prctl)
fi
start_exporter --run-as-user=nobody "--collector.kmsg.state-file=$E2E_TMP/state/kmsg.state"
EXPORTER_PREFIX=()
if $STRACE_OK; then
  # The exporter is strace's child.
  STRACE_PID=$EXPORTER_PID
  EXPORTER_PID=$(pgrep -P "$STRACE_PID" -x oom_exporter || true)
fi
check "one log line says who it runs as now" \
  grep -q 'msg="switched user: running without privileges" user=nobody uid=65534 gid=65534' "$EXPORTER_LOG"
check "no warning about the state file (its directory belongs to nobody)" \
  bash -c "! grep -q 'kmsg state file cannot be saved' '$EXPORTER_LOG'"
check "the connection gate is up (no warning)" \
  bash -c "! grep -q 'no connection gate' '$EXPORTER_LOG'"

scrape() { curl -s -o "$E2E_TMP/metrics" "http://127.0.0.1:$PORT/metrics"; }
scrape
failures_at_start=$(sed -n 's/^oom_cgroup_watch_failures_total \([0-9]*\)$/\1/p' "$E2E_TMP/metrics")

# Every thread: nobody's ids, no supplementary group, no capability.
threads_ok() {
  local status bad=0 n=0
  for status in /proc/"$EXPORTER_PID"/task/*/status; do
    n=$((n + 1))
    if ! awk '
      /^Uid:/ || /^Gid:/ { if ($2 != 65534 || $3 != 65534 || $4 != 65534 || $5 != 65534) bad = 1 }
      /^Groups:/ { if (NF > 1) bad = 1 }
      /^CapEff:/ || /^CapPrm:/ { if ($2 !~ /^0+$/) bad = 1 }
      END { exit bad }' "$status"; then
      echo "  $status: $(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' "$status" | tr '\n\t' '  ')" >&2
      bad=1
    fi
  done
  [[ $bad -eq 0 && $n -gt 1 ]]
}
check "every thread ($(ls /proc/"$EXPORTER_PID"/task | wc -l)) runs as 65534:65534, no groups, CapEff and CapPrm 0" \
  threads_ok

if $STRACE_OK; then
  # Order of events: the switch (on every thread), then civetweb's threads.
  switch_line=$(grep -n 'setuid(65534) *= 0' "$E2E_TMP/trace" | head -n 1 | cut -d: -f1 || true)
  civet_line=$(grep -n 'PR_SET_NAME, "civetweb-' "$E2E_TMP/trace" | head -n 1 | cut -d: -f1 || true)
  check "the switch comes before civetweb starts a thread that answers requests (lines ${switch_line:-none} < ${civet_line:-none} of the trace)" \
    test -n "$switch_line" -a -n "$civet_line" -a "${switch_line:-1}" -lt "${civet_line:-0}"
else
  echo "skip: strace cannot trace here, so the order of the switch and civetweb's threads is not checked"
fi

# A real OOM kill in the test's cgroup: `tail /dev/zero` buffers one endless
# line until the 32M limit kills it.
# (timeout re-raises the SIGKILL on itself; the subshell keeps the shell's
# "Killed" report out of the output.)
(timeout 60 bash -c 'echo $$ >"$1/cgroup.procs"; echo $$ >"$2"; exec tail /dev/zero' \
  _ "$CGROUP" "$E2E_TMP/hog.pid" || true) 2>"$E2E_TMP/hog.err"
HOG_PID=$(cat "$E2E_TMP/hog.pid" 2>/dev/null || echo none)
killed() {
  scrape
  grep -Eq "^oom_kills_total\\{.*cgroup=\"/$NAME\".*comm=\"tail\"" "$E2E_TMP/metrics"
}
for _ in $(seq 1 100); do killed && break; sleep 0.1; done
CHECKS=$((CHECKS + 1))
if killed; then
  pass "the scrape shows the kill of tail (pid $HOG_PID) in /$NAME: the kernel log opened as root still reads"
else
  fail "no oom_kills_total for tail in /$NAME; the hog said: $(cat "$E2E_TMP/hog.err")"
fi
CHECKS=$((CHECKS + 1))
curl -s -o "$E2E_TMP/kills.json" "http://127.0.0.1:$PORT/api/v1/kills"
if grep -Eq "\"pid\": ?$HOG_PID[,}]" "$E2E_TMP/kills.json"; then
  pass "/api/v1/kills lists pid $HOG_PID"
else
  fail "/api/v1/kills does not list pid $HOG_PID: $(tail -c 400 "$E2E_TMP/kills.json")"
fi
others=$(sed -n 's/^oom_scrape_collector_success{collector="\([a-z_]*\)"} \([01]\)$/\1=\2/p' "$E2E_TMP/metrics" | tr '\n' ' ')
CHECKS=$((CHECKS + 1))
if [[ -n "$others" && "$others" != *=0* ]]; then
  pass "every collector succeeds after the switch: ${others% }"
else
  fail "collectors after the switch: ${others:-none}"
fi

# cgroup v1: eventfds registered as root stay; nobody cannot add one.
CHECKS=$((CHECKS + 1))
if [[ "$failures_at_start" == 0 ]]; then
  pass "the cgroups present at start were all registered (oom_cgroup_watch_failures_total 0)"
else
  fail "oom_cgroup_watch_failures_total is ${failures_at_start:-missing} at start, want 0"
fi
mkdir "$LATER"
watch_failed() {
  scrape
  local now
  now=$(sed -n 's/^oom_cgroup_watch_failures_total \([0-9]*\)$/\1/p' "$E2E_TMP/metrics")
  [[ -n "$now" && "$now" -gt "${failures_at_start:-0}" ]]
}
for _ in $(seq 1 50); do watch_failed && break; sleep 0.1; done
check "a cgroup made after the switch gets no eventfd: counted in oom_cgroup_watch_failures_total" \
  watch_failed

CHECKS=$((CHECKS + 1))
status=0
if $STRACE_OK; then
  # Not this shell's child: signal it, and take its status from strace's.
  kill -TERM "$EXPORTER_PID"
  wait "$STRACE_PID" || status=$?
  EXPORTER_PID=""
else
  stop_exporter || status=$?
fi
if [[ $status -eq 0 ]]; then pass "SIGTERM -> exit 0"; else fail "exit status $status after SIGTERM"; fi
check "the state file was saved as nobody" \
  test "$(stat -c %u "$E2E_TMP/state/kmsg.state" 2>/dev/null)" = 65534

# A state directory nobody cannot write: a warning at start, in one line.
install -d -m 0755 "$E2E_TMP/rootonly"
start_exporter --run-as-user=nobody "--collector.kmsg.state-file=$E2E_TMP/rootonly/kmsg.state"
stop_exporter || true
check "a state directory nobody cannot write is a warning at start" \
  grep -q "level=warn msg=\"the kmsg state file cannot be saved as the --run-as-user user; after a restart, kills since this start are counted again from the kernel ring\" user=nobody file=$E2E_TMP/rootonly/kmsg.state err=\"$E2E_TMP/rootonly is not writable: Permission denied\"" "$EXPORTER_LOG"

finish privdrop_test "$CHECKS"
