#!/usr/bin/env bash
# Keeps README.md and docs/ honest: the metrics table of docs/metrics.md
# lists exactly the oom_* families of the golden scrapes (tests/golden/*.txt),
# with the same types, and README's table of main metrics only such families;
# the flag table of docs/configuration.md lists exactly the flags --help
# prints; the default port stated is the binary's; README's collector table
# names every collector; the quick-start commands exist and are executable;
# every PromQL example parses; every relative link between README.md and
# docs/*.md leads to a file, and every #anchor to a heading of it.

BINARY=${1:?usage: readme_test.sh path/to/oom_exporter}
cd "$(dirname "$0")/../.."
source tests/e2e/lib.sh

CHECKS=0
same() {  # same DESCRIPTION FILE_A FILE_B
  CHECKS=$((CHECKS + 1))
  if diff -u "$2" "$3" >"$E2E_TMP/diff"; then
    pass "$1"
  else
    fail "$1: $(cat "$E2E_TMP/diff")"
  fi
}

METRICS_DOC=docs/metrics.md
CONFIG_DOC=docs/configuration.md
DOCS=(README.md docs/*.md)

# Metric name and type, from the metrics table and from the golden file.
sed -n 's/^| `\(oom_[a-z0-9_]*\)` | \([a-z]*\) |.*/\1 \2/p' "$METRICS_DOC" | sort >"$E2E_TMP/readme_metrics"
# Some series exist only on some layouts (v2 pressure, v1 under_oom): every
# golden file counts.
sed -n 's/^# TYPE \(oom_[a-z0-9_]*\) \([a-z]*\)$/\1 \2/p' tests/golden/*.txt | sort -u >"$E2E_TMP/golden_metrics"
same "$METRICS_DOC metrics table matches the families of tests/golden/*.txt" \
  "$E2E_TMP/readme_metrics" "$E2E_TMP/golden_metrics"

# README's main metrics: a few rows, each one of those families and types.
sed -n '/^## Metrics/,/^## /p' README.md |
  sed -n 's/^| `\(oom_[a-z0-9_]*\)` | \([a-z]*\) |.*/\1 \2/p' | sort -u >"$E2E_TMP/readme_main_metrics"
CHECKS=$((CHECKS + 1))
if [[ -s "$E2E_TMP/readme_main_metrics" ]] &&
   comm -23 "$E2E_TMP/readme_main_metrics" "$E2E_TMP/golden_metrics" >"$E2E_TMP/unknown_metrics" &&
   [[ ! -s "$E2E_TMP/unknown_metrics" ]]; then
  pass "README's main metrics are families of tests/golden/*.txt, with their types"
else
  fail "README's main metrics not in tests/golden/*.txt (or none found): $(tr '\n' ' ' <"$E2E_TMP/unknown_metrics")"
fi

# Flags: the flag table against --help (the --[no-]collector.NAME
# toggles aside: the collector table covers them).
"$BINARY" --help >"$E2E_TMP/help"
sed -n 's/^  \(-h, \)\{0,1\}\(--[a-z][a-z.-]*\).*/\2/p' "$E2E_TMP/help" | sort -u >"$E2E_TMP/help_flags"
sed -n '/^## Flags/,/^## /p' "$CONFIG_DOC" | grep '^| `-' | cut -d'|' -f2 |
  grep -o -- '--[a-z][a-z.-]*' | grep -v '\.$' | sort -u >"$E2E_TMP/readme_flags"
same "$CONFIG_DOC flag table matches --help" "$E2E_TMP/readme_flags" "$E2E_TMP/help_flags"

# Collectors: every --[no-]collector.NAME of --help has a row in README.
sed -n 's/.*--\[no-\]collector\.\([a-z_]*\).*/\1/p' "$E2E_TMP/help" | sort >"$E2E_TMP/help_collectors"
sed -n '/^## Collectors/,/^## /p' README.md | sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' | sort >"$E2E_TMP/readme_collectors"
same "README collector table matches --help" "$E2E_TMP/readme_collectors" "$E2E_TMP/help_collectors"

# The default port.
CHECKS=$((CHECKS + 1))
port=$(sed -n 's/.*(default: :\([0-9]*\)).*/\1/p' "$E2E_TMP/help")
if [[ -n "$port" ]] && grep -q "default listen address is \`:$port\`" "$CONFIG_DOC" &&
   grep -q "| \`--web.listen-address\` | \`:$port\` |" "$CONFIG_DOC" &&
   sed -n '/^## Quick start/,/^## /p' README.md | grep -q "on port $port\."; then
  pass "$CONFIG_DOC and README's quick start state the default port $port"
else
  fail "$CONFIG_DOC or README's quick start does not state the binary's default port (${port:-none found})"
fi

# The two quick-start commands: the first line of each sh block in the section.
sed -n '/^## Quick start/,/^## /p' README.md |
  awk '/^```sh/{getline; print $1}' >"$E2E_TMP/quick_start"
CHECKS=$((CHECKS + 1))
if [[ $(wc -l <"$E2E_TMP/quick_start") -eq 2 ]]; then
  pass "Quick start has exactly two commands"
else
  fail "Quick start should have two commands, has: $(tr '\n' ' ' <"$E2E_TMP/quick_start")"
fi
while read -r command; do
  CHECKS=$((CHECKS + 1))
  if [[ -x "$command" ]]; then pass "$command is executable"; else fail "$command is not executable"; fi
done <"$E2E_TMP/quick_start"
CHECKS=$((CHECKS + 1))
if grep -q 'tests/run-all.sh' .ci/run; then
  pass ".ci/run calls the test command"
else
  fail ".ci/run does not call tests/run-all.sh"
fi

# Every PromQL example parses: each expression of a ```promql block (blank
# lines separate them) becomes a recording rule that `promtool check rules`
# reads.
awk '
  function start() { n++; printf "  - record: readme:example_%d\n    expr: |\n", n }
  /^ *```promql/ { inside = 1; start(); fresh = 1; next }
  inside && /^ *```/ { inside = 0; next }
  inside && /^ *$/ { if (!fresh) { start(); fresh = 1 }; next }
  inside { sub(/^  /, ""); print "      " $0; fresh = 0 }
' "${DOCS[@]}" >"$E2E_TMP/examples"
CHECKS=$((CHECKS + 1))
examples=$(grep -c 'record:' "$E2E_TMP/examples" || true)
{ echo "groups:"; echo "- name: readme"; echo "  rules:"; cat "$E2E_TMP/examples"; } >"$E2E_TMP/readme_rules.yml"
if [[ "$examples" -gt 0 ]] && promtool check rules "$E2E_TMP/readme_rules.yml" >"$E2E_TMP/promtool" 2>&1; then
  pass "The $examples PromQL examples of README.md and docs/ parse (promtool check rules)"
else
  fail "PromQL examples of README.md and docs/: $(cat "$E2E_TMP/promtool" 2>/dev/null) ($examples found)"
fi

# Links: every relative link of README.md and docs/*.md (outside code) leads
# to a file or directory of the repository, and every #anchor to a heading of
# the target, spelt as GitHub spells it (lower case, punctuation but - and _
# dropped, spaces as -, -1, -2 ... for repeats).
CHECKS=$((CHECKS + 1))
if python3 - "${DOCS[@]}" >"$E2E_TMP/links" 2>&1 <<'PY'; then
import os, re, sys

def outside_code(path):
    fenced = False
    for line in open(path, encoding="utf-8"):
        if re.match(r"^\s*```", line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    "):  # nor indented code
            yield line

def anchors(path):
    seen, result = {}, set()
    for line in outside_code(path):
        m = re.match(r"^#{1,6} +(.*?) *#*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else "%s-%d" % (slug, n))
    return result

links = bad = 0
for source in sys.argv[1:]:
    for line in outside_code(source):
        # Code spans are not links, unless one is a link's whole text.
        line = re.sub(r"(?<!\[)`[^`]*`(?!\])", "", line)
        for target in re.findall(r"\]\(([^)\s]+)\)", line):
            if re.match(r"^[a-z]+:", target):
                continue
            links += 1
            path, _, anchor = target.partition("#")
            full = os.path.normpath(os.path.join(os.path.dirname(source), path)) if path else source
            if not os.path.exists(full):
                print("%s: %s: no such file" % (source, target)); bad += 1
            elif anchor and (not full.endswith(".md") or anchor not in anchors(full)):
                print("%s: %s: no heading #%s in %s" % (source, target, anchor, full)); bad += 1
print("%d relative links" % links)
sys.exit(1 if bad or links == 0 else 0)
PY
  pass "Relative links of README.md and docs/ resolve: $(tail -1 "$E2E_TMP/links")"
else
  fail "Broken links in README.md or docs/: $(cat "$E2E_TMP/links")"
fi

finish readme_test "$CHECKS"
