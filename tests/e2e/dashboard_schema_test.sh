#!/usr/bin/env bash
# Type-checks dashboards/*.json against Grafana's published schema types
# (tests/dashboards/typecheck.sh: @grafana/schema and TypeScript pinned in
# tests/dashboards/package-lock.json; the first run installs them with
# `npm ci`). The binary argument is unused: ctest passes it.
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

CHECKS=1
if tests/dashboards/typecheck.sh >"$E2E_TMP/out" 2>&1; then
  pass "$(tail -1 "$E2E_TMP/out")"
else
  fail "dashboards do not match Grafana's schema types: $(cat "$E2E_TMP/out")"
fi
finish dashboard_schema_test "$CHECKS"
