# Shared by the e2e scripts (and tests/image/run.sh): start the real binary
# on a free loopback port and stop it again, start a real Prometheus, make
# and remove memory cgroups. Source it; it defines start_exporter,
# stop_exporter, start_prometheus, the memory cgroup helpers, check, fail,
# pass and finish, and expects $BINARY (the oom_exporter to test) where
# those run it.

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

# find_memory_controller: sets CGROOT to the memory controller's root, cgroup
# v1's own hierarchy when mounted (also on a hybrid machine, where the v2
# tree has no memory controller), else the cgroup2 root with memory enabled
# for its children, and V2 to 1 on cgroup2 ("" on v1). Fails, with
# MEMCG_MISSING saying why, where there is no writable one (no root, say).
CGROOT=""
V2=""
MEMCG_MISSING=""
find_memory_controller() {
  if [[ -w /sys/fs/cgroup/memory/cgroup.procs ]]; then
    CGROOT=/sys/fs/cgroup/memory V2=""
  elif [[ -w /sys/fs/cgroup/cgroup.procs ]] &&
    grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    CGROOT=/sys/fs/cgroup V2=1
  else
    MEMCG_MISSING="no writable memory controller (neither cgroup v1 at /sys/fs/cgroup/memory nor cgroup2 with memory in /sys/fs/cgroup/cgroup.subtree_control)"
    return 1
  fi
}

# make_memory_cgroup DIR LIMIT: a memory cgroup under $CGROOT with that limit
# (bytes, or with a K, M or G suffix) and no swap.
make_memory_cgroup() {
  local dir=$1 limit=$2
  mkdir "$dir"
  if [[ -n "$V2" ]]; then
    echo "$limit" >"$dir/memory.max"
    [[ ! -e "$dir/memory.swap.max" ]] || echo 0 >"$dir/memory.swap.max"
  else
    echo "$limit" >"$dir/memory.limit_in_bytes"
    # With swap accounting, memory + swap capped at the same: no swap.
    [[ ! -e "$dir/memory.memsw.limit_in_bytes" ]] || echo "$limit" >"$dir/memory.memsw.limit_in_bytes"
  fi
}

# remove_memory_cgroup DIR: kills what is left in it, waits until the kernel
# has moved every task out (cgroup.procs reads empty: cgroupfs files have no
# size) and removes it. Nothing to do when DIR is gone.
remove_memory_cgroup() {
  local dir=$1 pid
  [[ -d "$dir" ]] || return 0
  while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/cgroup.procs"
  for _ in $(seq 1 100); do
    [[ -n "$(cat "$dir/cgroup.procs")" ]] || break
    sleep 0.05
  done
  rmdir "$dir" || echo "could not remove $dir" >&2
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
