#!/usr/bin/env node
// Validator benchmark (a script, not a test): how long loading the validators takes in a fresh
// process, and how long validating one config takes. Uses the built package: run `npm run build`.
//   node bench/validate.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { perCallUs, summarize } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist', 'lib', 'validate', 'index.js');
if (!existsSync(dist) || !existsSync(join(root, 'build', 'validators.cjs'))) {
  console.error('bench/validate.mjs: run `npm run build` first');
  process.exit(1);
}
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2000;
const COLD = 15;

const median = (xs) => summarize(xs).median;
const fmt = (x, unit) => `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ${unit}`;

// --- cold: each measurement in a new node process -------------------------------------------
function cold(code) {
  const times = [];
  for (let i = 0; i < COLD; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    times.push(Number(r.stdout.trim()));
  }
  return median(times);
}
const distUrl = pathToFileURL(dist).href;
const validatorsUrl = pathToFileURL(join(root, 'dist', 'lib', 'validate', 'validators.js')).href;
const loaderUrl = pathToFileURL(join(root, 'spec-schemas', 'loader.mjs')).href;
const coldLoad = cold(
  `const t=performance.now();const m=await import(${JSON.stringify(validatorsUrl)});m.loadValidators();console.log(performance.now()-t)`,
);
const coldModule = cold(
  `const t=performance.now();const m=await import(${JSON.stringify(distUrl)});m.validateConfig({});console.log(performance.now()-t)`,
);
const coldCompile = cold(
  `const t=performance.now();const {createAjv,schemaId}=await import(${JSON.stringify(loaderUrl)});const a=await createAjv();a.getSchema(schemaId('config-schema.json'));console.log(performance.now()-t)`,
);

// --- whole CLI: `ocirun validate` wall time, against a bare node start -----------------------
function wall(args, cwd) {
  const times = [];
  for (let i = 0; i < COLD; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0 && args[0] !== '-e') throw new Error(r.stdout + r.stderr);
  }
  return median(times);
}
const cliBundle = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'ocirun-bench-cli-'));
(await import('node:fs')).copyFileSync(join(root, 'test', 'fixtures', 'client-configs', 'containerd-config-run-d-sleep.json'), join(cliBundle, 'config.json'));
(await import('node:fs')).mkdirSync(join(cliBundle, 'rootfs'));
const wallNode = wall(['-e', '0']);
const wallValidate = wall([join(root, 'dist', 'cli', 'ocirun.cjs'), 'validate', cliBundle]);
(await import('node:fs')).rmSync(cliBundle, { recursive: true, force: true });

// --- warm: validation of one config in this process ----------------------------------------
const { validateConfig, validateBundle } = await import(distUrl);
const { validatorFor } = await import(validatorsUrl);
const configs = {
  'podman (resources, seccomp)': join(root, 'test', 'fixtures', 'client-configs', 'podman-config-resources.json'),
  'containerd (run -d)': join(root, 'test', 'fixtures', 'client-configs', 'containerd-config-run-d-sleep.json'),
};
const perCall = (fn) => perCallUs(fn, RUNS).median;
const rows = [];
for (const [name, file] of Object.entries(configs)) {
  const config = JSON.parse(readFileSync(file, 'utf8'));
  const schema = validatorFor('config');
  rows.push([`${name}: schema only`, fmt(perCall(() => schema(config)), 'µs')]);
  rows.push([`${name}: validateConfig (schema + rules)`, fmt(perCall(() => validateConfig(config)), 'µs')]);
}
// validateBundle reads and parses the file and maps positions, as `ocirun validate` does.
const { mkdtempSync, mkdirSync, copyFileSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const bundle = mkdtempSync(join(tmpdir(), 'ocirun-bench-'));
copyFileSync(configs['containerd (run -d)'], join(bundle, 'config.json'));
mkdirSync(join(bundle, 'rootfs'));
rows.push(['containerd (run -d): validateBundle (read, parse, validate)', fmt(perCall(() => validateBundle(bundle)), 'µs')]);
rmSync(bundle, { recursive: true, force: true });

const table = [
  ['cold: import validators + load build/validators.cjs', fmt(coldLoad, 'ms')],
  ['cold: import lib/validate + first validateConfig', fmt(coldModule, 'ms')],
  ['cold: compile the schemas with ajv at run time (for comparison)', fmt(coldCompile, 'ms')],
  ['wall: node -e 0 (baseline)', fmt(wallNode, 'ms')],
  ['wall: ocirun validate <containerd bundle>', fmt(wallValidate, 'ms')],
  ...rows,
];
const width = Math.max(...table.map(([k]) => k.length));
console.log(`node ${process.version}, ${COLD} fresh processes for cold times (median), ${RUNS} runs for per-config times (median)\n`);
for (const [k, v] of table) console.log(`${k.padEnd(width)}  ${v.padStart(10)}`);
