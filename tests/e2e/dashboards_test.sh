#!/usr/bin/env bash
# The dashboards and rules against a real Prometheus (the Debian package),
# all on 127.0.0.1:
#   1. starts the exporter on the fixture roots (as golden_test.sh does), a
#      second one on a cgroup v2 Kubernetes tree (memory.high, pressure,
#      pod containers), and a third on this machine's real /proc and /sys;
#   2. starts Prometheus scraping them every second, with the rules of
#      deploy/prometheus/rules/ loaded, and waits for 15 s of samples;
#   3. runs every panel query of dashboards/*.json for every value of the
#      dashboard's variables, every variable query, and every rule
#      (tests/dashboards/query_check.mjs). On the fixtures a query fails on an
#      error, or when it returns no series for every value of the variables
#      unless it reads a metric this binary does not serve (printed as
#      skipped: e.g. the process collector's series on a binary without it,
#      kube-state-metrics'); on the live machine only errors fail.
#
#   tests/e2e/dashboards_test.sh build/test/oom_exporter
# OOM_E2E_PROCFS and OOM_E2E_SYSFS replace tests/fixtures/proc and
# tests/fixtures/sys (e.g. another branch's fixtures for its collector).

BINARY=${1:?usage: dashboards_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

PROCFS=${OOM_E2E_PROCFS:-tests/fixtures/proc}
SYSFS=${OOM_E2E_SYSFS:-tests/fixtures/sys}
V2_TREE=tests/fixtures/cgroup-k8s-systemd-v2
START=$SECONDS

PIDS=()
cleanup_all() {
  for pid in "${PIDS[@]}" $PROMETHEUS_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" $PROMETHEUS_PID; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$E2E_TMP"
}
trap cleanup_all EXIT

for tool in prometheus node; do
  if ! command -v "$tool" >/dev/null; then
    echo "dashboards_test: $tool is missing (deploy/install-deps.sh --test installs it)" >&2
    exit 1
  fi
done

# Flags only some binaries know: the process collector is on by default
# where it exists, and has nothing to read in the cgroup tree; the pods'
# containers carry the tree's memory.high.
V2_FLAGS=()
"$BINARY" --help >"$E2E_TMP/help"
if grep -q -- '--\[no-\]collector.process' "$E2E_TMP/help"; then
  V2_FLAGS+=(--no-collector.process)
fi
if grep -q -- '--collector.cgroup.pod-containers' "$E2E_TMP/help"; then
  V2_FLAGS+=(--collector.cgroup.pod-containers)
fi

# 1. The exporters. lib.sh's start_exporter keeps one pid; keep them all.
start_exporter --path.procfs="$PROCFS" --path.sysfs="$SYSFS" --collector.cgroup \
  --collector.kmsg.path=tests/fixtures/kmsg/records.kmsg --collector.kmsg.state-file=
FIXTURE_PORT=$PORT
PIDS+=("$EXPORTER_PID")
start_exporter --path.procfs="$V2_TREE/proc" --path.sysfs="$V2_TREE/sys" --collector.cgroup \
  --no-collector.memory --no-collector.kmsg "${V2_FLAGS[@]}" --collector.cgroup.max-depth=8
V2_PORT=$PORT
PIDS+=("$EXPORTER_PID")
start_exporter --collector.cgroup --collector.kmsg.state-file=
LIVE_PORT=$PORT
PIDS+=("$EXPORTER_PID")
EXPORTER_PID=""

# The metric names the binary serves on the fixtures, and on the machine.
for port in "$FIXTURE_PORT" "$V2_PORT"; do
  curl -fsS "http://127.0.0.1:$port/metrics"
done | sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\)[{ ].*/\1/p' | sort -u >"$E2E_TMP/fixture_names"
curl -fsS "http://127.0.0.1:$LIVE_PORT/metrics" |
  sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\)[{ ].*/\1/p' | sort -u >"$E2E_TMP/live_names"

# 2. Prometheus on a free loopback port (asked from the kernel, then bound by
# Prometheus: another process could take it in between, so retry).
RULES=$(ls "$PWD"/deploy/prometheus/rules/*.yml)
RULE_COUNT=$(cat $RULES | grep -cE '^ *- (alert|record):')
cat >"$E2E_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
$(for f in $RULES; do echo "  - $f"; done)
scrape_configs:
  - job_name: oom_exporter
    static_configs:
      - targets: ["127.0.0.1:$FIXTURE_PORT", "127.0.0.1:$V2_PORT"]
  - job_name: oom_exporter_live
    static_configs:
      - targets: ["127.0.0.1:$LIVE_PORT"]
EOF
start_prometheus "$E2E_TMP/prometheus.yml"

# Wait until every target is up and has 15 s of samples (rate() and
# increase() over the 10 s the checks substitute for $__rate_interval).
promql() {  # promql EXPR: the first value of an instant query, or empty
  curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$1" |
    sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
CHECKS=1
ready=""
for _ in $(seq 1 60); do
  if [[ "$(promql 'count(min_over_time(up[15s]) == 1 and count_over_time(up[15s]) >= 14)')" == 3 ]]; then
    ready=1
    break
  fi
  sleep 1
done
if [[ -n "$ready" ]]; then
  pass "Prometheus has 15 s of samples of the 3 exporters after $((SECONDS - START)) s"
else
  fail "Prometheus did not get 15 s of samples of every exporter; targets: $(curl -s "$PROM/api/v1/targets")"
  finish dashboards_test "$CHECKS"
fi

# 3. Every query.
CHECKS=$((CHECKS + 1))
if node tests/dashboards/query_check.mjs --prometheus "$PROM" --job oom_exporter --strict \
  --names "$E2E_TMP/fixture_names" --rules "$RULE_COUNT"; then
  pass "fixtures: every dashboard query, variable query and rule"
else
  fail "fixtures: dashboard queries, variable queries or rules (above)"
fi
CHECKS=$((CHECKS + 1))
if node tests/dashboards/query_check.mjs --prometheus "$PROM" --job oom_exporter_live \
  --names "$E2E_TMP/live_names" --rules "$RULE_COUNT" --max-cgroups 20; then
  pass "live machine: every dashboard query, variable query and rule runs without error"
else
  fail "live machine: dashboard queries, variable queries or rules (above)"
fi

echo "dashboards_test: took $((SECONDS - START)) s"
finish dashboards_test "$CHECKS"
