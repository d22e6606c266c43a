#!/usr/bin/env bash
# The golden end-to-end tests: the real binary on fixture trees, one scrape
# each, sorted and compared with a file in tests/golden/, and checked by
# `promtool check metrics`.
#   e2e-output.txt     the default collectors on tests/fixtures/proc and the
#                      kernel-log records of tests/fixtures/kmsg
#   cgroup-LAYOUT.txt  the cgroup collector on tests/fixtures/cgroup-LAYOUT,
#                      one per tree (v1, v2, k8s-cgroupfs-v1, docker-v1,
#                      hybrid, k8s-systemd-v2, crio-systemd-v2,
#                      docker-systemd-v2, systemd-v2, lxc-v2, and
#                      k8s-systemd-v2-debian-6.12, copied from a VM; the
#                      trees are described in tests/fixtures/README.md)
#
#   tests/e2e/golden_test.sh build/oom_exporter                  # check
#   UPDATE_GOLDEN=1 tests/e2e/golden_test.sh build/oom_exporter  # rewrite
#
# Only values that change from run to run are masked: collector durations,
# the git revision in oom_exporter_build_info, and the wall-clock times of
# kills (a fixture's kernel timestamps are converted with today's boot time).

BINARY=${1:?usage: golden_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

CHECKS=0

# golden NAME FLAGS...: scrapes the exporter run with FLAGS and compares
# with tests/golden/NAME.
golden() {
  local name=$1 file=tests/golden/$1
  shift
  start_exporter "$@"
  curl -fsS "http://127.0.0.1:$PORT/metrics" >"$E2E_TMP/scrape.txt"
  stop_exporter

  CHECKS=$((CHECKS + 2))
  if ! promtool check metrics <"$E2E_TMP/scrape.txt" >"$E2E_TMP/promtool.txt" 2>&1; then
    fail "$name: promtool check metrics: $(cat "$E2E_TMP/promtool.txt")"
  else
    pass "$name: promtool check metrics"
  fi

  sed -E \
    -e 's/^(oom_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
    -e 's/revision="[^"]*"/revision="<revision>"/' \
    -e 's/^(oom_kill_last_timestamp_seconds) .*/\1 <time>/' \
    -e 's/^(oom_recent_kill_timestamp_seconds\{[^}]*\}) .*/\1 <time>/' \
    -e 's/^(oom_http_connections_(accepted|dropped)_total(\{[^}]*\})?) .*/\1 <count>/' \
    "$E2E_TMP/scrape.txt" |
    # Families sorted by name, each as HELP, TYPE, then its samples sorted.
    awk '/^# HELP /{family=$3; print family " 0 " $0; next}
         /^# TYPE /{print family " 1 " $0; next}
         {print family " 2 " $0}' |
    LC_ALL=C sort -k1,1 -k2,2n -k3 | cut -d' ' -f3- >"$E2E_TMP/normalized.txt"

  if [[ "${UPDATE_GOLDEN:-}" == 1 ]]; then
    cp "$E2E_TMP/normalized.txt" "$file"
    pass "$name: rewrote $file"
  elif diff -u "$file" "$E2E_TMP/normalized.txt"; then
    pass "$name: scrape matches $file"
  else
    fail "$name: scrape differs from $file (UPDATE_GOLDEN=1 rewrites it after a deliberate change)"
  fi
}

golden e2e-output.txt --path.procfs=tests/fixtures/proc --path.sysfs=tests/fixtures/sys \
  --collector.kmsg.path=tests/fixtures/kmsg/records.kmsg --collector.kmsg.state-file=
# Every tree tests/fixtures/cgroup-* has its golden; a new tree without one
# fails until UPDATE_GOLDEN=1 writes it. Every cgroup of a tree is exported
# (containers inside pods too), so that the golden shows how each is named;
# e2e-output.txt shows the defaults.
for tree in tests/fixtures/cgroup-*/; do
  tree=${tree%/}
  layout=$(basename "$tree")
  golden "$layout.txt" --collector.cgroup --no-collector.memory --no-collector.kmsg \
    --no-collector.process \
    --collector.cgroup.pod-containers --collector.cgroup.max-depth=8 \
    "--path.procfs=$tree/proc" "--path.sysfs=$tree/sys"
done

finish golden_test "$CHECKS"
