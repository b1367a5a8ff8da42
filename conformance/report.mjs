#!/usr/bin/env node
// Runs the conformance suite once per runtime and prints the results side by side; compares them
// with (or rewrites) the committed expectations in conformance/expectations/<name>.json.
//
//   node conformance/report.mjs [--runtime NAME=PATH]... [--check | --update] [--filter TEXT]
//                               [--results NAME=FILE]... [--keep-json DIR]
//
// --runtime   a runtime to run (repeatable); default ocirun=dist/cli/ocirun.cjs and, when
//             installed, runc=/usr/sbin/runc
// --results   use an existing report for NAME instead of running the suite (vitest's JSON, or
//             the JSON of ocirun-conformance --json)
// --check     exit 1 if any result differs from expectations/NAME.json (a new failure, a new pass,
//             a new skip, a test added or gone)
// --update    rewrite expectations/NAME.json from this run (known deviations are kept)
//
// expectations/NAME.json: { runtime, reference?, results: {ID: pass|fail|skip}, knownDeviations:
// {ID: "the spec sentence it violates"} }. With "reference": true (runc) every failure must be a
// known deviation, so a test that fails there is a broken test, not a runtime result.
// --filter    only tests whose name contains TEXT (vitest -t); --check/--update then only look at those
// --keep-json write each runtime's vitest JSON report into DIR
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const expectationsDir = join(here, 'expectations');

function usage(msg) {
  if (msg) console.error(`report: ${msg}`);
  console.error('usage: node conformance/report.mjs [--runtime NAME=PATH]... [--results NAME=FILE]... [--check|--update] [--filter TEXT] [--keep-json DIR]');
  process.exit(2);
}

const opts = { runtimes: [], results: [], check: false, update: false, filter: undefined, keepJson: undefined };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const value = () => argv[++i] ?? usage(`${a} needs a value`);
  const pair = (v) => {
    const at = v.indexOf('=');
    if (at <= 0) usage(`expected NAME=VALUE, got "${v}"`);
    return [v.slice(0, at), v.slice(at + 1)];
  };
  if (a === '--runtime') opts.runtimes.push(pair(value()));
  else if (a === '--results') opts.results.push(pair(value()));
  else if (a === '--check') opts.check = true;
  else if (a === '--update') opts.update = true;
  else if (a === '--filter') opts.filter = value();
  else if (a === '--keep-json') opts.keepJson = resolve(value());
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown argument ${a}`);
}
if (opts.check && opts.update) usage('--check and --update exclude each other');
if (opts.runtimes.length === 0 && opts.results.length === 0) {
  opts.runtimes.push(['ocirun', join(repo, 'dist/cli/ocirun.cjs')]);
  if (existsSync('/usr/sbin/runc')) opts.runtimes.push(['runc', '/usr/sbin/runc']);
}

/** Run the suite against one runtime; returns the path of vitest's JSON report. */
function runSuite(name, path, dir) {
  const out = join(dir, `${name}.json`);
  const vitest = join(repo, 'node_modules/vitest/vitest.mjs');
  const args = [vitest, 'run', '--config', 'conformance/vitest.config.ts', '--reporter=json', `--outputFile=${out}`, ...(opts.filter ? ['-t', opts.filter] : [])];
  const t0 = Date.now();
  process.stderr.write(`report: running the suite against ${name} (${path}) ... `);
  const r = spawnSync(process.execPath, args, { cwd: repo, env: { ...process.env, RUNTIME: resolve(repo, path) }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(0)}s\n`);
  if (!existsSync(out)) {
    console.error(r.stderr);
    throw new SuiteError(`vitest produced no report for ${name} (exit ${r.status})`);
  }
  return out;
}

const ID = /\[([A-Za-z0-9_.-]+)\]\s*$/;

/** The suite itself is broken (not a runtime result): exit 2, after the temp dir is removed. */
class SuiteError extends Error {}

/** vitest JSON → ordered list of { id, name, result, reason } */
function parseReport(file) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  // a report of the packaged runner (ocirun-conformance --json) holds its rows already
  if (Array.isArray(json.runtimes)) {
    const wanted = opts.filter ? new RegExp(opts.filter) : undefined;
    return json.runtimes[0].results
      .filter((r) => !wanted || wanted.test(`${r.where}: ${r.name} [${r.id}]`))
      .map(({ id, name, file, result, reason }) => ({ id, name, file, result, reason }));
  }
  const rows = [];
  const seen = new Set();
  // with --filter, vitest reports the tests it left out as skipped: they are not results
  const wanted = opts.filter ? new RegExp(opts.filter) : undefined;
  for (const f of json.testResults ?? []) {
    for (const t of f.assertionResults ?? []) {
      const m = ID.exec(t.title);
      if (!m) continue;
      if (wanted && !wanted.test(t.fullName ?? t.title)) continue;
      if (seen.has(m[1])) {
        throw new SuiteError(`duplicate test id ${m[1]}`);
      }
      seen.add(m[1]);
      const result = t.status === 'passed' ? 'pass' : t.status === 'failed' ? 'fail' : 'skip';
      const reason = result === 'skip' ? t.meta?.skipReason ?? 'skipped' : result === 'fail' ? String(t.failureMessages?.[0] ?? '').split('\n')[0] : '';
      rows.push({ id: m[1], name: t.title.replace(ID, '').trim(), file: f.name, result, reason });
    }
    // a file that failed to load has no tests: that is a broken suite, not a runtime result
    if ((f.assertionResults ?? []).length === 0 && f.status === 'failed') {
      throw new SuiteError(`${f.name} failed to load: ${f.message}`);
    }
  }
  return rows;
}

const work = mkdtempSync(join(tmpdir(), 'oci-conformance-report-'));
const runs = [];
try {
  for (const [name, file] of opts.results) runs.push({ name, rows: parseReport(resolve(file)) });
  for (const [name, path] of opts.runtimes) {
    const file = runSuite(name, path, work);
    if (opts.keepJson) {
      mkdirSync(opts.keepJson, { recursive: true });
      writeFileSync(join(opts.keepJson, `${name}.json`), readFileSync(file));
    }
    runs.push({ name, rows: parseReport(file) });
  }
} catch (err) {
  if (!(err instanceof SuiteError)) throw err;
  console.error(`report: ${err.message}`);
  process.exitCode = 2;
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (process.exitCode === 2) process.exit(2);

// ---- side-by-side table ----------------------------------------------------------------------
const order = [];
const names = new Map();
for (const run of runs) {
  for (const r of run.rows) {
    if (!names.has(r.id)) order.push(r.id);
    names.set(r.id, r.name);
  }
  run.byId = new Map(run.rows.map((r) => [r.id, r]));
}
const idWidth = Math.max(4, ...order.map((id) => id.length));
const colWidth = Math.max(6, ...runs.map((r) => r.name.length));
const pad = (s, n) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const cols = process.stdout.columns || 160;
const nameWidth = Math.max(30, cols - idWidth - runs.length * (colWidth + 2) - 4);
console.log(`${pad('test', idWidth)}  ${runs.map((r) => pad(r.name, colWidth)).join('  ')}  name`);
console.log(`${'-'.repeat(idWidth)}  ${runs.map(() => '-'.repeat(colWidth)).join('  ')}  ${'-'.repeat(Math.min(nameWidth, 40))}`);
for (const id of order) {
  const cells = runs.map((r) => pad(r.byId.get(id)?.result ?? '-', colWidth));
  const name = names.get(id);
  console.log(`${pad(id, idWidth)}  ${cells.join('  ')}  ${name.length > nameWidth ? name.slice(0, nameWidth - 1) + '…' : name}`);
}
console.log('');
for (const r of runs) {
  const count = (k) => r.rows.filter((x) => x.result === k).length;
  console.log(`${pad(r.name, colWidth)}  passed ${count('pass')}, failed ${count('fail')}, skipped ${count('skip')}, total ${r.rows.length}`);
}
const skipReasons = new Map();
for (const r of runs) for (const x of r.rows) if (x.result === 'skip') skipReasons.set(x.id, x.reason);
if (skipReasons.size) {
  console.log('\nskipped (reason):');
  for (const [id, why] of skipReasons) console.log(`  ${pad(id, idWidth)}  ${why}`);
}

// ---- expectations -------------------------------------------------------------------------------
const expectationsPath = (name) => join(expectationsDir, `${name}.json`);
const loadExpectations = (name) => (existsSync(expectationsPath(name)) ? JSON.parse(readFileSync(expectationsPath(name), 'utf8')) : { results: {}, knownDeviations: {} });

/** failures of a run that its expectations do not list as known deviations */
function unexplainedFailures(run, exp) {
  return run.rows.filter((r) => r.result === 'fail' && !(exp.knownDeviations ?? {})[r.id]).map((r) => r.id);
}

let differences = 0;
for (const run of runs) {
  const exp = loadExpectations(run.name);
  const inScope = (id) => !opts.filter || (names.get(id) ?? '').includes(opts.filter) || run.byId.has(id);
  if (opts.update) {
    const results = opts.filter ? { ...exp.results } : {};
    for (const r of run.rows) results[r.id] = r.result;
    const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
    const deviations = exp.knownDeviations ?? {};
    for (const id of Object.keys(deviations)) {
      if (sorted[id] === 'pass') console.log(`note: ${run.name} now passes ${id}, listed as a known deviation`);
    }
    if (exp.reference) for (const id of unexplainedFailures(run, exp)) console.log(`note: ${run.name} fails ${id}: add it to knownDeviations with the spec sentence, or fix the test`);
    mkdirSync(expectationsDir, { recursive: true });
    const doc = { runtime: run.name, ...(exp.note ? { note: exp.note } : {}), ...(exp.reference ? { reference: exp.reference } : {}), results: sorted, knownDeviations: deviations };
    writeFileSync(expectationsPath(run.name), JSON.stringify(doc, null, 2) + '\n');
    console.log(`updated ${expectationsPath(run.name)}`);
  }
  if (opts.check) {
    const diffs = [];
    for (const r of run.rows) {
      const want = exp.results?.[r.id];
      if (want === undefined) diffs.push(`${r.id}: new test, result ${r.result} not recorded`);
      else if (want !== r.result) {
        const kind = r.result === 'fail' ? 'NEW FAILURE' : r.result === 'pass' ? 'new pass' : 'new skip';
        diffs.push(`${r.id}: ${kind} (expected ${want}, got ${r.result})${r.reason ? ` — ${r.reason}` : ''}`);
      }
    }
    for (const id of Object.keys(exp.results ?? {})) {
      if (!run.byId.has(id) && inScope(id) && !opts.filter) diffs.push(`${id}: recorded as ${exp.results[id]} but did not run`);
    }
    // the reference runtime's failures are all explained; anything else means a broken test
    if (exp.reference) for (const id of unexplainedFailures(run, exp)) diffs.push(`${id}: fails against the reference runtime but is not a known deviation`);
    if (diffs.length) {
      console.log(`\n${run.name}: ${diffs.length} difference(s) from ${expectationsPath(run.name)}:`);
      for (const d of diffs) console.log(`  ${d}`);
      differences += diffs.length;
    } else console.log(`\n${run.name}: matches ${expectationsPath(run.name)}`);
  }
}
// every test ID COVERAGE.md cites must exist (only knowable from a full run)
if (opts.check && !opts.filter && runs.length > 0) {
  const coverage = join(here, 'COVERAGE.md');
  const known = new Set(order);
  const cited = new Set([...readFileSync(coverage, 'utf8').matchAll(/`((?:RT|RTL|CFG|LNX|CLI)-[A-Za-z0-9_.-]+)`/g)].map((m) => m[1]));
  const missing = [...cited].filter((id) => !known.has(id));
  if (missing.length) {
    console.log(`\nCOVERAGE.md cites ${missing.length} test ID(s) that the suite does not have: ${missing.join(', ')}`);
    differences += missing.length;
  }
}
if (opts.check && differences) {
  console.log('\nrecord intended changes with: node conformance/report.mjs --update ' + runs.map((r) => `--runtime ${r.name}=…`).join(' '));
  process.exit(1);
}
