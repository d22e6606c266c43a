#!/usr/bin/env bash
# Type-checks dashboards/*.json against Grafana's published schema types
# (@grafana/schema, pinned in package.json and package-lock.json), offline
# once node_modules is installed: each dashboard is emitted as TypeScript
# (emit.mjs) and compiled with `tsc --noEmit --strict`.
#   tests/dashboards/typecheck.sh
# Installs node_modules with `npm ci` when it is missing or older than the
# lock file (needs the npm registry once; node_modules is git-ignored).
set -euo pipefail
cd "$(dirname "$0")"

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf generated
node emit.mjs
node_modules/.bin/tsc -p tsconfig.json
echo "typecheck: dashboards match @grafana/schema $(node -p 'require("@grafana/schema/package.json").version')"
