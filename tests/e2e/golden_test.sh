#!/usr/bin/env bash
# The golden end-to-end test: the real binary on the fixture trees, one
# scrape, sorted and compared with tests/golden/e2e-output.txt, and checked by
# `promtool check metrics`.
#
#   tests/e2e/golden_test.sh build/oom_exporter            # check
#   UPDATE_GOLDEN=1 tests/e2e/golden_test.sh build/oom_exporter   # rewrite
#
# Only values that change from run to run are masked: collector durations,
# the git revision in oom_exporter_build_info, and the wall-clock times of
# kills (a fixture's kernel timestamps are converted with today's boot time).

BINARY=${1:?usage: golden_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

GOLDEN=tests/golden/e2e-output.txt

start_exporter --path.procfs=tests/fixtures/proc --path.sysfs=tests/fixtures/sys \
  --collector.kmsg.path=tests/fixtures/kmsg/records.kmsg --collector.kmsg.state-file=
curl -fsS "http://127.0.0.1:$PORT/metrics" >"$E2E_TMP/scrape.txt"
stop_exporter

if ! promtool check metrics <"$E2E_TMP/scrape.txt" >"$E2E_TMP/promtool.txt" 2>&1; then
  fail "promtool check metrics: $(cat "$E2E_TMP/promtool.txt")"
else
  pass "promtool check metrics"
fi

sed -E \
  -e 's/^(oom_scrape_collector_duration_seconds\{[^}]*\}) .*/\1 <duration>/' \
  -e 's/revision="[^"]*"/revision="<revision>"/' \
  -e 's/^(oom_kill_last_timestamp_seconds) .*/\1 <time>/' \
  -e 's/^(oom_recent_kill_timestamp_seconds\{[^}]*\}) .*/\1 <time>/' \
  "$E2E_TMP/scrape.txt" |
  # Families sorted by name, each as HELP, TYPE, then its samples sorted.
  awk '/^# HELP /{family=$3; print family " 0 " $0; next}
       /^# TYPE /{print family " 1 " $0; next}
       {print family " 2 " $0}' |
  LC_ALL=C sort -k1,1 -k2,2n -k3 | cut -d' ' -f3- >"$E2E_TMP/normalized.txt"

if [[ "${UPDATE_GOLDEN:-}" == 1 ]]; then
  cp "$E2E_TMP/normalized.txt" "$GOLDEN"
  echo "rewrote $GOLDEN"
elif diff -u "$GOLDEN" "$E2E_TMP/normalized.txt"; then
  pass "scrape matches $GOLDEN"
else
  fail "scrape differs from $GOLDEN (UPDATE_GOLDEN=1 rewrites it after a deliberate change)"
fi

finish golden_test 2
