// Validation of a typical config in a warm process (µs), and CLI start-up: how long the ocirun
// CLI takes to reach its first container-state syscall (`state` of a missing id), and to print
// its version, next to Node's bare start-up.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { interleaved } from './interleave.mjs';
import { perCallUs, summarize } from './stats.mjs';

export async function validationBench(dist, ws) {
  const { validateConfig, validateBundle } = await import(join(dist, 'lib', 'validate', 'index.js'));
  const config = ws.trueBundle.spec;
  const report = validateConfig(config);
  return {
    config: 'runc default config (busybox bundle)',
    problems: report.problems?.length ?? 0,
    validateConfigUs: perCallUs(() => validateConfig(config), 2000),
    validateBundleUs: perCallUs(() => validateBundle(ws.trueBundle.dir), 500),
  };
}

export async function startupBench(cliMain, root, runs) {
  // A command that fails at once would look fast: each must end as expected to count.
  const timed = (args, expectedStatus) => () => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== expectedStatus) throw new Error(`node ${args.join(' ')}: exit ${r.status ?? r.signal}, expected ${expectedStatus}: ${String(r.stderr).trim()}`);
    return ms;
  };
  const runners = [
    { name: 'node -e 0', fn: timed(['-e', '0'], 0) },
    { name: 'ocirun --version', fn: timed([cliMain, '--version'], 0) },
    // "container does not exist", exit 1: the answer runc gives.
    { name: 'ocirun state <missing>', fn: timed([cliMain, '--root', root, 'state', 'no-such-container'], 1) },
  ];
  const { samples, failures } = await interleaved(runners, runs, 2, (r) => r.fn());
  for (const [name, errs] of failures) if (errs.length) throw new Error(`${name}: ${errs[0]}`);
  const base = summarize(samples.get('node -e 0'));
  return runners.map((r) => {
    const s = summarize(samples.get(r.name));
    return { command: r.name, ms: s, overNodeMedianMs: s.median - base.median, samples: samples.get(r.name) };
  });
}
