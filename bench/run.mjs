#!/usr/bin/env node
// ocirun benchmarks, side by side with peer runtimes on one busybox bundle, interleaved.
//   npm run build && npm run bench -- [--runtime runc] [--runtime crun] [--runs 30] [--publish]
// Needs root (containers with every namespace). Writes bench/results/latest.json and
// bench/results/latency.svg; --publish also writes bench/RESULTS.json and bench/latency.svg.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/argv.mjs';
import { makeWorkspace } from './lib/bundle.mjs';
import { execBench } from './lib/exec.mjs';
import { ID_PREFIX, interleaved, newId } from './lib/interleave.mjs';
import { findLeaks } from './lib/leaks.mjs';
import { checkLikeForLike } from './lib/like-for-like.mjs';
import { machine } from './lib/machine.mjs';
import { memoryBench } from './lib/memory.mjs';
import { parallelBench } from './lib/parallel.mjs';
import { printAndWrite } from './lib/output.mjs';
import { seccompBench } from './lib/seccomp.mjs';
import { cliRunner, libraryRunner, nodeBaseline, probePeer, setErrorLog } from './lib/runners.mjs';
import { startupBench, validationBench } from './lib/startup.mjs';
import { summarize } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const dist = join(repo, 'dist');
const cliMain = join(dist, 'cli', 'ocirun.cjs');

const opts = parseArgs(process.argv.slice(2));
if (opts.rechart) {
  // Tables and chart again from the last run's JSON (after changing the report code).
  printAndWrite(JSON.parse(readFileSync(join(here, 'results', 'latest.json'), 'utf8')), opts.publish);
  process.exit(0);
}
if (!existsSync(cliMain)) {
  console.error('bench: run `npm run build` first');
  process.exit(1);
}
if (process.getuid() !== 0) {
  console.error('bench: run as root (containers need every namespace)');
  process.exit(1);
}

const log = (m) => process.stderr.write(`bench: ${m}\n`);
const ws = await makeWorkspace(dist);
setErrorLog(join(ws.dir, 'stderr.log'));
// ocirun's launcher takes a code cache from the user's cache directory before the package's
// (lib/cli/ocirun.cjs): an empty one of the bench's own, as a new user has, so the figures are
// the package's caches and not whatever an earlier build left in ~/.cache/ocirun.
process.env.XDG_CACHE_HOME = join(ws.dir, 'xdg-cache');
const result = { machine: machine(repo), options: { ...opts, only: [...opts.only] }, bundle: ws.description, peers: {}, goals: {} };

const contenders = [];
try {
  const cli = cliRunner('ocirun CLI', [process.execPath, cliMain], ws.root('ocirun-cli'), ws);
  const lib = await libraryRunner(dist, ws.root('ocirun-lib'), ws);
  // Listed at once: the finally below closes its host process whatever fails next.
  contenders.push(lib);
  const peers = [];
  for (const name of opts.runtimes) {
    const root = ws.root(name);
    const probe = probePeer(name, ws, root);
    result.peers[name] = probe;
    if (probe.available) peers.push(cliRunner(name, probe.argv0, root, ws));
    else log(`${name}: unavailable (${probe.reason})`);
    if (probe.note) log(`${name}: ${probe.note}`);
  }
  contenders.push(cli, ...peers);
  // Before any timing: every contender applies the bundle's seccomp profile and limits.
  result.applied = await checkLikeForLike(contenders);
  log(`like for like: ${Object.keys(result.applied).join(', ')} apply the seccomp profile and the limits`);
  const memRoot = ws.root('ocirun-lib-mem');
  const roots = [...contenders.map((r) => r.root), memRoot];

  if (opts.only.has('lifecycle')) {
    log(`sequential lifecycle: ${opts.runs} interleaved rounds`);
    const all = [...contenders, nodeBaseline()];
    const { samples, failures } = await interleaved(all, opts.runs, 3, async (r) => {
      const id = newId('seq');
      try {
        return await r.lifecycle(id);
      } catch (err) {
        await r.cleanup?.(id);
        throw err;
      }
    });
    result.lifecycle = all.map((r) => ({ runtime: r.name, command: r.command, ms: summarize(samples.get(r.name)), samples: samples.get(r.name), failures: failures.get(r.name) }));
    const med = (name) => result.lifecycle.find((r) => r.runtime === name)?.ms.median;
    result.goals.libraryVsRunc = { target: '≥ 8× faster than runc run', speedup: med('runc') / med('ocirun library') };
    if (med('crun')) result.goals.libraryVsCrun = { target: '≥ 2× faster than crun run', speedup: med('crun') / med('ocirun library') };
    result.goals.cliOverNode = { target: '≤ 15 ms over node -e 0', ms: med('ocirun CLI') - med('node -e 0') };
  }
  if (opts.only.has('seccomp')) {
    log(`seccomp: ${opts.runs} interleaved rounds of a library create with and without the profile`);
    result.seccomp = await seccompBench(lib, ws, opts.runs);
  }
  if (opts.only.has('parallel')) {
    log(`parallel: sizes ${opts.parallel.join(', ')}, ${opts.batches} batches each`);
    result.parallel = await parallelBench(contenders, opts.parallel, opts.batches, ws);
  }
  if (opts.only.has('exec')) {
    log(`exec: ${opts.execRuns} interleaved rounds`);
    result.exec = await execBench(contenders, opts.execRuns);
  }
  if (opts.only.has('memory')) {
    log(`memory: ${opts.memRuns} creates each`);
    result.memory = await memoryBench([cli, ...peers], dist, memRoot, ws, opts.memRuns);
  }
  if (opts.only.has('startup')) {
    log('validation and CLI start-up');
    result.validation = await validationBench(dist, ws);
    result.startup = await startupBench(cliMain, ws.root('ocirun-startup'), Math.max(10, Math.min(opts.runs, 30)));
  }
  result.leaks = findLeaks(ws, roots, ID_PREFIX);
  result.machine.loadavgAfter = os.loadavg();
} catch (err) {
  // Keep what was measured; the run still fails.
  result.error = err.stack ?? String(err);
  log(`failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  // Containers a failed scenario left behind are deleted by their own runtime first.
  for (const r of contenders) {
    let ids = [];
    try {
      ids = readdirSync(r.root).filter((e) => e.startsWith(ID_PREFIX));
    } catch {
      // no state root
    }
    for (const id of ids) await r.cleanup?.(id);
    await r.close?.();
  }
  // Never delete through a mount a runtime left behind.
  if (findLeaks(ws, [], ID_PREFIX).mounts.length === 0) rmSync(ws.dir, { recursive: true, force: true });
  else log(`left ${ws.dir} in place: mounts remain under it`);
}

printAndWrite(result, opts.publish);
