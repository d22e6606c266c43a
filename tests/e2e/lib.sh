# Shared by the e2e scripts: start the real binary on a free loopback port
# and stop it again, and start a real Prometheus. Source it; it defines
# start_exporter, stop_exporter, start_prometheus, fail and pass, and expects
# $BINARY (the oom_exporter to test).

set -euo pipefail

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/oom_e2e.XXXXXX")
EXPORTER_PID=""
PORT=""
EXPORTER_PREFIX=()  # e.g. (setpriv --reuid=65534 ...) to run it as another user
FAILURES=0
CHECKS=0  # counted by check(), or by the script itself
# The checked-in fixture roots, with the kernel log read from a file.
FIXTURES=(--path.procfs=tests/fixtures/proc --path.sysfs=tests/fixtures/sys
  --collector.kmsg.path=tests/fixtures/kmsg/records.kmsg --collector.kmsg.state-file=)

cleanup() {
  if [[ -n "$EXPORTER_PID" ]]; then kill "$EXPORTER_PID" 2>/dev/null || true; fi
  rm -rf "$E2E_TMP"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

pass() { echo "ok: $*"; }

# check DESCRIPTION COMMAND [ARGS...]: one check, passed when COMMAND
# succeeds.
check() {
  local description=$1
  shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then pass "$description"; else fail "$description"; fi
}

# start_exporter [flags...]: runs the binary on 127.0.0.1:0 with the flags,
# waits for its "listening" log line and sets PORT and EXPORTER_PID. Its log
# is $EXPORTER_LOG, a new file each time: the shell truncates a reused one
# only once the background child runs, so the loop below could read the
# previous exporter's port.
EXPORTER_LOG=""
STARTS=0
start_exporter() {
  STARTS=$((STARTS + 1))
  EXPORTER_LOG="$E2E_TMP/exporter.$STARTS.log"
  local log=$EXPORTER_LOG
  : >"$log"
  "${EXPORTER_PREFIX[@]}" "$BINARY" --web.listen-address=127.0.0.1:0 "$@" 2>"$log" &
  EXPORTER_PID=$!
  for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*msg=listening address=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")
    [[ -n "$PORT" ]] && return 0
    if ! kill -0 "$EXPORTER_PID" 2>/dev/null; then break; fi
    sleep 0.05
  done
  echo "exporter did not start; its log:" >&2
  cat "$log" >&2
  exit 1
}

# stop_exporter: SIGTERM, then waits; returns the exporter's exit status.
stop_exporter() {
  local status=0
  kill -TERM "$EXPORTER_PID"
  wait "$EXPORTER_PID" || status=$?
  EXPORTER_PID=""
  return "$status"
}

# start_prometheus CONFIG: runs Prometheus (the Debian package) with CONFIG
# and a fresh TSDB in $E2E_TMP/data on a free loopback port, waits until it
# is ready, and sets PROMETHEUS_PID and PROM (its URL). A port found free
# can be taken before Prometheus binds it, so it tries 3 ports. Its log is
# $E2E_TMP/prometheus.log. The caller stops it.
PROMETHEUS_PID=""
PROM=""
start_prometheus() {
  local config=$1 port
  for _ in 1 2 3; do
    port=$(node -e 'const s = require("net").createServer();
      s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
    prometheus --config.file="$config" --storage.tsdb.path="$E2E_TMP/data" \
      --web.listen-address="127.0.0.1:$port" --log.level=warn \
      >"$E2E_TMP/prometheus.log" 2>&1 &
    PROMETHEUS_PID=$!
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
        PROM="http://127.0.0.1:$port"
        return 0
      fi
      if ! kill -0 "$PROMETHEUS_PID" 2>/dev/null; then break; fi
      sleep 0.1
    done
    kill "$PROMETHEUS_PID" 2>/dev/null || true
    wait "$PROMETHEUS_PID" 2>/dev/null || true
    PROMETHEUS_PID=""
  done
  echo "prometheus did not start; its log:" >&2
  cat "$E2E_TMP/prometheus.log" >&2
  exit 1
}

# tls_auth_web_config DIR: makes DIR/server.crt and DIR/server.key, a
# self-signed certificate for 127.0.0.1 (openssl), and DIR/web.yml, a web
# config serving TLS with them and asking for the user "prometheus" with the
# password "correct horse"; sets WEB_HASH to that password's bcrypt hash
# (cost 4, from the binary's hash-password).
WEB_HASH=""
tls_auth_web_config() {
  local dir=$1
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/server.key" \
    -out "$dir/server.crt" 2>/dev/null
  WEB_HASH=$(printf 'correct horse\n' | "$BINARY" hash-password --cost=4)
  cat >"$dir/web.yml" <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  prometheus: $WEB_HASH
YAML
}

# finish: the closing line ctest and CI read, and the exit status.
finish() {
  local name=$1 checks=$2
  if [[ $FAILURES -gt 0 ]]; then
    echo "$name: $((checks - FAILURES)) passed, $FAILURES failed"
    exit 1
  fi
  echo "$name: $checks passed, 0 failed"
}
