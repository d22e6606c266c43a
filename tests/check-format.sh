#!/usr/bin/env bash
# Fails when any C or C++ file tracked by git is not as clang-format (Google base,
# see .clang-format) would write it. Fix with:
#   git ls-files '*.cc' '*.h' '*.c' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cc' '*.h' '*.c')
clang-format --dry-run -Werror $files
echo "check-format: $(echo "$files" | wc -l) files formatted"
