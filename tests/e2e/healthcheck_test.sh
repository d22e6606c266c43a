#!/usr/bin/env bash
# `oom_exporter --healthcheck`, the container's HEALTHCHECK, from the
# outside: the real binary checking a real running exporter on 127.0.0.1,
# plain and with TLS and basic authentication; a port that refuses, a
# listener that never answers, a bad flag (exit 1, never Docker's reserved
# 2); and, under strace, that the check binds no port, starts no thread,
# and opens neither the kernel log nor the state file.

BINARY=${1:?usage: healthcheck_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

# expect_health WANT PATTERN ARGS...: runs `oom_exporter --healthcheck
# ARGS...` (30 s at most: it must time out by itself), checks its exit
# status and that its output, one line, matches the extended regexp PATTERN.
expect_health() {
  local want=$1 pattern=$2 got=0
  shift 2
  CHECKS=$((CHECKS + 1))
  timeout 30 "$BINARY" --healthcheck "$@" >"$E2E_TMP/out.txt" 2>&1 || got=$?
  if [[ $got -ne $want ]]; then
    fail "--healthcheck $* exited $got, want $want: $(cat "$E2E_TMP/out.txt")"
  elif [[ $(wc -l <"$E2E_TMP/out.txt") -ne 1 ]] ||
    ! grep -Eq -- "$pattern" "$E2E_TMP/out.txt"; then
    fail "--healthcheck $*: output is not one line matching /$pattern/: $(cat "$E2E_TMP/out.txt")"
  else
    pass "--healthcheck $* -> $want: $(cat "$E2E_TMP/out.txt")"
  fi
}

# A plain exporter, asked at the addresses that name it: its own, no host,
# and 0.0.0.0 (both mean 127.0.0.1 to the check).
start_exporter "${FIXTURES[@]}"
expect_health 0 "^oom_exporter: healthy: http://127\.0\.0\.1:$PORT/healthz answered 200$" \
  "--web.listen-address=127.0.0.1:$PORT"
expect_health 0 "^oom_exporter: healthy: http://127\.0\.0\.1:$PORT/healthz answered 200$" \
  "--web.listen-address=:$PORT"
expect_health 0 "^oom_exporter: healthy: http://127\.0\.0\.1:$PORT/healthz answered 200$" \
  "--web.listen-address=0.0.0.0:$PORT" --web.request-timeout=2s

# What the check does to the system, seen by strace: no bind or listen (it
# serves nothing), no clone (no collector's thread), no open of the kernel
# log or the state file, and the state file's directory never made, though
# the flags name them as a server's would (every collector is on by
# default). An arm64 binary under QEMU (tests/arm64/run.sh) is traced by
# QEMU's own log of the program's system calls (QEMU_STRACE, in strace's
# "PID name(args)" form): strace would see QEMU's calls, its own thread's
# clone among them.
emulated=0
if [[ $(uname -m) != aarch64 ]] && readelf -h "$BINARY" 2>/dev/null | grep -q 'Machine: *AArch64'; then
  emulated=1
fi
if [[ $emulated == 1 ]] || strace -f -qq -o /dev/null true 2>/dev/null; then
  state_dir=$E2E_TMP/state
  trace=$E2E_TMP/strace.txt
  status=0
  args=(--healthcheck "--web.listen-address=127.0.0.1:$PORT"
    --collector.kmsg.path=/dev/kmsg "--collector.kmsg.state-file=$state_dir/kmsg.state")
  if [[ $emulated == 1 ]]; then
    QEMU_STRACE=1 QEMU_LOG_FILENAME=$trace "$BINARY" "${args[@]}" >/dev/null 2>&1 || status=$?
  else
    # In a sanitizer build LeakSanitizer would refuse to run under ptrace
    # (and start a thread of its own at exit): leaks are the other runs' job.
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
      strace -f -qq -o "$trace" -e trace=bind,listen,clone,clone3,fork,vfork,openat,open,mkdir,mkdirat \
      "$BINARY" "${args[@]}" >/dev/null 2>&1 || status=$?
  fi
  check "traced: healthy (exit $status)" test "$status" -eq 0
  check "the trace sees the check's own opens (libcivetweb)" \
    grep -q 'openat(.*libcivetweb' "$trace"
  check "no bind() or listen()" bash -c "! grep -Eq '^[0-9]+ +(bind|listen)\(' '$trace'"
  check "no thread or process started" \
    bash -c "! grep -Eq '^[0-9]+ +(clone|clone3|fork|vfork)\(' '$trace'"
  check "neither /dev/kmsg nor the state file opened" \
    bash -c "! grep -Eq '/dev/kmsg|$state_dir' '$trace'"
  check "the state file's directory not made" test ! -e "$state_dir"
else
  echo "skip: strace cannot trace here (no ptrace), so what the check opens is not looked at"
fi
stop_exporter

# TLS and basic authentication: a self-signed certificate for 127.0.0.1
# (the check does not verify it) and a password the check does not know:
# /healthz needs none.
dir=$E2E_TMP/web
tls_auth_web_config "$dir"
start_exporter "${FIXTURES[@]}" "--web.config.file=$dir/web.yml"
expect_health 0 "^oom_exporter: healthy: https://127\.0\.0\.1:$PORT/healthz answered 200$" \
  "--web.listen-address=127.0.0.1:$PORT" "--web.config.file=$dir/web.yml"
# Without the web config it speaks plain HTTP to the TLS port, which does
# not answer that: unhealthy, within the timeout.
expect_health 1 "^oom_exporter: unhealthy: http://127\.0\.0\.1:$PORT/healthz: (no answer within 1s|the connection closed without an answer)$" \
  "--web.listen-address=127.0.0.1:$PORT" --web.request-timeout=1s
stop_exporter

# A port bound but not listening (held by this script, so nothing else can
# take it meanwhile) refuses; a listener that never accepts never answers.
coproc HOLD {
  python3 -c '
import socket, sys
refusing = socket.socket()
refusing.bind(("127.0.0.1", 0))
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(4)
print(refusing.getsockname()[1], silent.getsockname()[1], flush=True)
sys.stdin.read()
'
}
read -r refusing silent <&"${HOLD[0]}"
expect_health 1 "^oom_exporter: unhealthy: http://127\.0\.0\.1:$refusing/healthz: connection refused$" \
  "--web.listen-address=127.0.0.1:$refusing"
expect_health 1 "^oom_exporter: unhealthy: https://127\.0\.0\.1:$refusing/healthz: connection refused$" \
  "--web.listen-address=127.0.0.1:$refusing" "--web.config.file=$dir/web.yml"
expect_health 1 "^oom_exporter: unhealthy: http://127\.0\.0\.1:$silent/healthz: no answer within 500ms$" \
  "--web.listen-address=127.0.0.1:$silent" --web.request-timeout=500ms
# shellcheck disable=SC2153 # coproc HOLD sets HOLD_PID
hold_pid=$HOLD_PID
eval "exec ${HOLD[1]}>&-"
wait "$hold_pid" || true

# Mistakes exit 1 too (Docker reserves 2), with a line saying what is wrong.
expect_health 1 '^oom_exporter: error: unknown flag --bogus' --bogus
expect_health 1 '^oom_exporter: unhealthy: --web.listen-address: ":0": port 0 is chosen by the kernel' \
  --web.listen-address=:0
expect_health 1 '^oom_exporter: unhealthy: cannot check: --web.config.file: /nonexistent/web.yml: No such file' \
  --web.config.file=/nonexistent/web.yml

finish healthcheck_test "$CHECKS"
