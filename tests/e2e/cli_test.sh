#!/usr/bin/env bash
# The binary as a user meets it: --help, --version, bad flags (exit 2 and a
# message naming the flag), a port in use (exit 1, said plainly), a custom
# telemetry path, the landing page, /healthz, 404, and a clean SIGTERM.

BINARY=${1:?usage: cli_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh


# expect_exit CODE PATTERN ARGS...: runs the binary, checks the exit status
# and that stdout+stderr match the extended regexp PATTERN.
expect_exit() {
  local want=$1 pattern=$2 got=0
  shift 2
  CHECKS=$((CHECKS + 1))
  timeout 10 "$BINARY" "$@" >"$E2E_TMP/out.txt" 2>&1 || got=$?
  if [[ $got -ne $want ]]; then
    fail "oom_exporter $* exited $got, want $want: $(cat "$E2E_TMP/out.txt")"
  elif ! grep -Eq -- "$pattern" "$E2E_TMP/out.txt"; then
    fail "oom_exporter $*: output does not match /$pattern/: $(cat "$E2E_TMP/out.txt")"
  else
    pass "oom_exporter $* -> $want"
  fi
}

expect_exit 0 '--web.listen-address=VALUE' --help
expect_exit 0 '--\[no-\]collector\.memory' -h
expect_exit 0 '^oom_exporter [0-9]+\.[0-9]+\.[0-9]+ \(revision ([0-9a-f]+|unknown)\)$' --version
expect_exit 2 'error: unknown flag --web.listen' --web.listen=:1
expect_exit 2 'error: --collector.nope: no collector named "nope"' --collector.nope
expect_exit 2 'error: --log.level: "loud" is not one of' --log.level=loud
expect_exit 2 'error: --web.listen-address: "9968": want HOST:PORT' --web.listen-address=9968
expect_exit 2 'error: --web.listen-address: .*IPv6' '--web.listen-address=[::]:9968'
expect_exit 2 'error: --web.telemetry-path: "metrics" must start with' --web.telemetry-path=metrics
expect_exit 2 'error: --path.procfs: "/nonexistent/proc": No such file or directory' --path.procfs=/nonexistent/proc
expect_exit 2 'error: --path.sysfs: "tests/e2e/lib.sh" is not a directory' --path.sysfs=tests/e2e/lib.sh
expect_exit 2 'error: unexpected argument "serve"' serve

# A port that is taken: exit 1 and the kernel's reason, not civetweb's riddle.
start_exporter "${FIXTURES[@]}"
expect_exit 1 "cannot listen on 127.0.0.1:$PORT: .*Address already in use" \
  "--web.listen-address=127.0.0.1:$PORT" "${FIXTURES[@]}"
stop_exporter

# A custom telemetry path; /metrics is then just another unknown path.
start_exporter "${FIXTURES[@]}" --web.telemetry-path=/oom/metrics
check_http() {  # check_http PATH WANT_STATUS BODY_PATTERN
  local status
  CHECKS=$((CHECKS + 1))
  status=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' "http://127.0.0.1:$PORT$1")
  if [[ "$status" != "$2" ]]; then
    fail "GET $1: status $status, want $2"
  elif ! grep -Eq -- "$3" "$E2E_TMP/body"; then
    fail "GET $1: body does not match /$3/: $(head -c 300 "$E2E_TMP/body")"
  else
    pass "GET $1 -> $2"
  fi
}
check_http /oom/metrics 200 '^oom_kernel_kills_total 1$'
check_http /metrics 404 '404 page not found'
check_http / 200 '<a href="/oom/metrics">Metrics</a>'
check_http /healthz 200 '^ok$'

# SIGTERM: a clean exit with status 0 and a log line saying so.
CHECKS=$((CHECKS + 1))
if stop_exporter && grep -q 'msg="shutting down" signal=SIGTERM' "$EXPORTER_LOG"; then
  pass "SIGTERM -> exit 0"
else
  fail "SIGTERM did not end the exporter cleanly: $(cat "$EXPORTER_LOG")"
fi

# --no-collector.memory leaves only the exporter's own series.
start_exporter "${FIXTURES[@]}" --no-collector.memory
check_http /metrics 200 '^oom_exporter_build_info'
CHECKS=$((CHECKS + 1))
if grep -q '^oom_kernel_kills_total' "$E2E_TMP/body"; then
  fail "--no-collector.memory still exports oom_kernel_kills_total"
else
  pass "--no-collector.memory drops the memory series"
fi
stop_exporter

# Without the right to read the kernel log (here: a record file only root may
# read, for an exporter running as nobody) the kmsg collector fails alone,
# and the exporter says in one line what to grant.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  secret="$E2E_TMP/kmsg-root-only"
  cp tests/fixtures/kmsg/records.kmsg "$secret"
  chmod 600 "$secret"
  EXPORTER_PREFIX=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  start_exporter --path.procfs=tests/fixtures/proc --path.sysfs=tests/fixtures/sys \
    "--collector.kmsg.path=$secret" --collector.kmsg.state-file=
  check_http /metrics 200 'oom_scrape_collector_success\{collector="kmsg"\} 0'
  check_http /metrics 200 'oom_scrape_collector_success\{collector="memory"\} 1'
  check_http /metrics 200 '^oom_kernel_kills_total 1$'
  stop_exporter || true
  CHECKS=$((CHECKS + 1))
  grants=$(grep -c 'collector failed" collector=kmsg .*CAP_SYSLOG' "$EXPORTER_LOG" || true)
  if [[ "$grants" == 1 ]]; then
    pass "one log line says to grant CAP_SYSLOG"
  else
    fail "want one CAP_SYSLOG line, got $grants: $(cat "$EXPORTER_LOG")"
  fi
  EXPORTER_PREFIX=()
else
  echo "skip: the permission check needs root and setpriv to run the exporter as nobody"
fi

finish cli_test "$CHECKS"
