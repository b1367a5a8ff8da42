// Validation of a typical config in a warm process (µs), and CLI start-up: how long the ocirun
// CLI takes to reach its first container-state syscall (`state` of a missing id), and to print
// its version, next to Node's bare start-up.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { interleaved } from './interleave.mjs';
import { summarize } from './stats.mjs';

function perCallUs(fn, runs) {
  for (let i = 0; i < 200; i++) fn(); // let the JIT settle
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return summarize(times);
}

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
  const timed = (args) => () => {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, args, { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const runners = [
    { name: 'node -e 0', fn: timed(['-e', '0']) },
    { name: 'ocirun --version', fn: timed([cliMain, '--version']) },
    { name: 'ocirun state <missing>', fn: timed([cliMain, '--root', root, 'state', 'no-such-container']) },
  ];
  const { samples } = await interleaved(runners, runs, 2, (r) => r.fn());
  const base = summarize(samples.get('node -e 0'));
  return runners.map((r) => {
    const s = summarize(samples.get(r.name));
    return { command: r.name, ms: s, overNodeMedianMs: s.median - base.median, samples: samples.get(r.name) };
  });
}
