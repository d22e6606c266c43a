// Runs every query of every dashboard panel, every template-variable query
// and every rule of a running Prometheus through its HTTP API
// (tests/e2e/dashboards_test.sh starts Prometheus and the exporters).
//
//   node query_check.mjs --prometheus URL --job JOB --names FILE [--strict] [--max-cgroups N]
//
// --job      the scrape job whose targets the dashboards are pointed at
// --names    the metric names the exporter itself serves (one per line)
// --strict   fixture mode: a panel query that returns no series for every
//            value of the variables fails, unless it names a metric the
//            exporter does not serve (a collector this binary lacks, or
//            kube-state-metrics): those are listed as skipped
// Exit status 1 when a check failed. Needs Node 18+ (global fetch).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const PROM = opt('prometheus');
const JOB = opt('job');
const STRICT = args.includes('--strict');
const MAX_CGROUPS = Number(opt('max-cgroups', '1000'));
const served = new Set(readFileSync(opt('names'), 'utf8').split('\n').filter(Boolean));
const dashboardsDir = join(new URL('.', import.meta.url).pathname, '..', '..', 'dashboards');
const label = STRICT ? 'fixtures' : 'live';

// Grafana's built-in range variables, as this short-lived Prometheus (1 s
// scrapes, 15 s of data) can answer them.
const BUILTINS = {
  __rate_interval: '10s',
  __interval: '5s',
  __range: '1m',
  __range_s: '60',
  __interval_ms: '5000',
};

let failures = 0;
let checks = 0;
const fail = (msg) => {
  failures++;
  console.log(`FAIL (${label}): ${msg}`);
};

async function query(expr) {
  const body = new URLSearchParams({ query: expr });
  const res = await fetch(`${PROM}/api/v1/query`, { method: 'POST', body });
  const json = await res.json();
  if (json.status !== 'success') return { error: `${json.errorType}: ${json.error}` };
  const r = json.data.result;
  return { series: Array.isArray(r) ? r : [r] };
}

// Grafana's interpolation of $name, ${name} and ${name:format}. A multi-value
// or All selection becomes a regex alternation of escaped values, as the
// Prometheus data source writes it into =~ matchers.
function interpolate(text, vars) {
  return text.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, a, b) => {
    const name = a ?? b;
    if (name in BUILTINS) return BUILTINS[name];
    if (!(name in vars)) throw new Error(`unknown variable ${whole}`);
    return vars[name];
  });
}
const escapeRegex = (v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');

// label_values(EXPR, LABEL) (the Prometheus data source's variable query)
// as PromQL: the label's values among the series of EXPR.
async function variableValues(variable, vars) {
  const q = typeof variable.query === 'string' ? variable.query : variable.query.query;
  const m = /^label_values\((.*),\s*(\w+)\)$/s.exec(q.trim());
  if (!m) throw new Error(`variable ${variable.name}: unsupported query ${q}`);
  const expr = `group by (${m[2]}) (${interpolate(m[1], vars)})`;
  const r = await query(expr);
  checks++;
  if (r.error) {
    fail(`variable ${variable.name}: ${expr}: ${r.error}`);
    return [];
  }
  const values = [...new Set(r.series.map((s) => s.metric[m[2]]).filter((v) => v))].sort();
  if (STRICT && values.length === 0) fail(`variable ${variable.name}: ${expr}: no values`);
  return values;
}

// Every combination of variable values the dashboard offers (for the job
// under test), each as a map from variable name to its interpolated text.
async function combinations(dashboard) {
  let combos = [{}];
  for (const v of dashboard.templating?.list ?? []) {
    const next = [];
    for (const vars of combos) {
      if (v.type === 'datasource') {
        next.push({ ...vars, [v.name]: 'prometheus' });
        continue;
      }
      let values = await variableValues(v, vars);
      if (v.name === 'job') {
        if (STRICT || values.length) {
          if (!values.includes(JOB)) fail(`variable job does not offer ${JOB}: ${values}`);
        }
        values = [JOB];
      }
      if (v.name === 'cgroup') values = values.slice(0, MAX_CGROUPS);
      // A machine without what a variable lists (no memory cgroups in this
      // container): the queries still run, with a value that matches nothing.
      // An All option with its own value is offered even without values.
      if (!STRICT && values.length === 0 && !(v.includeAll && v.allValue)) {
        values = ['/nonexistent'];
      }
      for (const value of values) next.push({ ...vars, [v.name]: value });
      if (v.includeAll && (values.length > 0 || v.allValue)) {
        next.push({
          ...vars,
          [v.name]: v.allValue ?? `(${values.map(escapeRegex).join('|')})`,
        });
      }
    }
    combos = next;
  }
  return combos;
}

// The metric names a query reads: identifiers before a selector's `{`, and
// any oom_/kube_ name (also those written without braces).
function metricNames(expr) {
  const names = new Set();
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(m[1]);
  for (const m of expr.matchAll(/\b((?:oom|kube)_[a-zA-Z0-9_]+)\b/g)) names.add(m[1]);
  names.delete('up');  // Prometheus' own
  return [...names];
}

const skipped = [];
for (const file of readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort()) {
  const dashboard = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8'));
  const combos = await combinations(dashboard);
  if (combos.length === 0) {
    fail(`${file}: the variables offer no values`);
    continue;
  }
  let queries = 0;
  let panelsChecked = 0;
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') continue;
    panelsChecked++;
    for (const target of panel.targets ?? []) {
      const where = `${file} "${panel.title}" ${target.refId}`;
      let nonEmpty = false;
      let errors = 0;
      for (const vars of combos) {
        const expr = interpolate(target.expr, vars);
        const r = await query(expr);
        queries++;
        if (r.error) {
          if (errors++ === 0) fail(`${where}: ${expr}\n  ${r.error}`);
        } else if (r.series.length > 0) {
          nonEmpty = true;
        }
      }
      checks++;
      if (!nonEmpty && STRICT && errors === 0) {
        const missing = metricNames(target.expr).filter((n) => !served.has(n));
        if (missing.length > 0) {
          skipped.push(`${where}: ${missing.join(', ')}`);
        } else {
          fail(`${where}: no series for any value of the variables:\n  ${target.expr}`);
        }
      }
    }
  }
  console.log(`${label}: ${file}: ${panelsChecked} panels, ${combos.length} variable ` +
    `combinations, ${queries} queries`);
}
for (const s of skipped) {
  console.log(`${label}: skipped (metrics not served by this binary): ${s}`);
}

// Every recording and alerting rule Prometheus loaded: its expression runs
// without error now, and Prometheus' own evaluations report no error.
const rules = await (await fetch(`${PROM}/api/v1/rules`)).json();
let ruleCount = 0;
let empty = 0;
for (const group of rules.data.groups) {
  for (const rule of group.rules) {
    ruleCount++;
    checks++;
    const name = rule.name;
    if (rule.health === 'err') fail(`rule ${name}: Prometheus reports ${rule.lastError}`);
    const r = await query(rule.query);
    if (r.error) fail(`rule ${name}: ${rule.query}\n  ${r.error}`);
    else if (r.series.length === 0) empty++;
  }
}
const expected = Number(opt('rules', '0'));
checks++;
if (ruleCount !== expected) fail(`Prometheus loaded ${ruleCount} rules, the rules files hold ${expected}`);
console.log(`${label}: ${ruleCount} rules evaluated (${empty} with no series now, as expected of ` +
  `alerts that do not fire)`);

console.log(`${label}: ${checks - failures} checks passed, ${failures} failed`);
process.exit(failures > 0 ? 1 : 0);
