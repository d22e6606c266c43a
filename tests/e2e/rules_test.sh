#!/usr/bin/env bash
# The Prometheus files of deploy/prometheus/: the example configuration and
# the rules parse (`promtool check config`, `promtool check rules`), and the
# unit tests of every alert pass (`promtool test rules`: a firing and a
# not-firing case each). The binary argument is unused: ctest passes it.
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

CHECKS=0
run() {  # run DESCRIPTION COMMAND...
  local description=$1
  shift
  CHECKS=$((CHECKS + 1))
  if "$@" >"$E2E_TMP/out" 2>&1; then
    pass "$description"
  else
    fail "$description: $(cat "$E2E_TMP/out")"
  fi
}

run "promtool check config deploy/prometheus/prometheus.yml" \
  promtool check config deploy/prometheus/prometheus.yml
for rules in deploy/prometheus/rules/*.yml; do
  run "promtool check rules $rules" promtool check rules "$rules"
done
for tests in deploy/prometheus/tests/*.yml; do
  run "promtool test rules $tests" promtool test rules "$tests"
done

# Every alert of the rules has a unit test that expects it to fire.
CHECKS=$((CHECKS + 1))
missing=""
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' deploy/prometheus/rules/*.yml); do
  if ! grep -A3 "alertname: $alert\$" deploy/prometheus/tests/*.yml | grep -q 'exp_labels:'; then
    missing="$missing $alert"
  fi
done
if [[ -z "$missing" ]]; then
  pass "every alert has a firing unit test"
else
  fail "alerts without a firing unit test:$missing"
fi

finish rules_test "$CHECKS"
