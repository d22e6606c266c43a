#!/usr/bin/env bash
# Quick start, step 1: installs what is missing, builds oom_exporter (Release)
# into build/release and runs it in the foreground. Flags are passed on:
#   deploy/build-and-run.sh --web.listen-address=127.0.0.1:9968
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DOOM_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target oom_exporter -j "$(nproc)"
exec build/release/oom_exporter "$@"
