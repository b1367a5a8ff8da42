// Everything a run produces: the stdout tables, bench/results/latest.json and the SVG chart;
// with publish, the committed copies bench/RESULTS.json and bench/latency.svg.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencyChart } from './chart.mjs';
import { leakCount } from './leaks.mjs';
import { latencyTable, memoryTable, parallelTable, seccompTable, startupTable } from './report.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');

export function printAndWrite(result, publish) {
  const m = result.machine;
  const subtitle = `${m.os}, kernel ${m.kernel}, ${m.cpus}× ${m.cpu}, node ${m.node}, load ${m.loadavgBefore.map((l) => l.toFixed(1)).join('/')} → ${m.loadavgAfter.map((l) => l.toFixed(1)).join('/')}, ${m.date.slice(0, 10)}`;
  console.log(`ocirun benchmarks — ${subtitle}`);
  if (result.bundle) console.log(`bundle: seccomp ${result.bundle.seccomp}; cgroups ${JSON.stringify(result.bundle.resources)}`);
  for (const [name, p] of Object.entries(result.peers)) console.log(`peer ${name}: ${p.available ? `${p.version}${p.note ? `, ${p.note}` : ''}` : `unavailable — ${p.reason}`}`);
  const peerRefs = (rows) => Object.keys(result.peers).map((n) => ({ name: n, median: rows.find((r) => r.runtime === n)?.ms.median })).filter((p) => p.median);
  if (result.lifecycle) {
    console.log(latencyTable('Sequential create→start→wait→delete of /bin/true', result.lifecycle, peerRefs(result.lifecycle)));
    const g = result.goals;
    if (g.libraryVsRunc?.speedup) console.log(`goal: library ${g.libraryVsRunc.speedup.toFixed(1)}× faster than runc run (target ≥ 8×)`);
    if (g.libraryVsCrun?.speedup) console.log(`goal: library ${g.libraryVsCrun.speedup.toFixed(1)}× faster than crun run (target ≥ 2×)`);
    if (g.cliOverNode?.ms !== undefined) console.log(`goal: ocirun CLI costs ${g.cliOverNode.ms.toFixed(1)} ms over node -e 0 (target ≤ 15 ms)`);
  }
  if (result.seccomp) {
    console.log(seccompTable(result.seccomp.rows));
    console.log(`goal: podman's seccomp profile adds ${result.seccomp.addedMs.toFixed(2)} ms to a warm library create (target ≤ 1 ms)`);
  }
  if (result.parallel) console.log(parallelTable(result.parallel));
  if (result.exec) console.log(latencyTable('exec /bin/true into a running container', result.exec, peerRefs(result.exec)));
  if (result.memory) {
    console.log(memoryTable(result.memory));
  }
  if (result.validation) console.log(startupTable(result.validation, result.startup));
  console.log(`\nleaks after all runs: ${leakCount(result.leaks) ? JSON.stringify(result.leaks) : 'none (state dirs, mounts, processes, cgroups)'}`);

  const groups = [];
  if (result.lifecycle) groups.push({ title: 'create→start→wait→delete (sequential)', rows: result.lifecycle.map((r) => ({ label: r.runtime, runtime: r.runtime, samples: r.samples })) });
  if (result.exec) groups.push({ title: 'exec /bin/true', rows: result.exec.map((r) => ({ label: r.runtime, runtime: r.runtime, samples: r.samples })) });
  const resultsDir = join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(result, null, 2) + '\n');
  const chartLines = [`${m.os}, kernel ${m.kernel}, ${m.cpus}× ${m.cpu}, node ${m.node}, ${m.date.slice(0, 10)}`, `load average ${m.loadavgBefore.map((l) => l.toFixed(1)).join('/')} before, ${m.loadavgAfter.map((l) => l.toFixed(1)).join('/')} after (shared machine); runs interleaved`];
  if (groups.length) writeFileSync(join(resultsDir, 'latency.svg'), latencyChart(groups, chartLines));
  console.log(`\nwrote bench/results/latest.json${groups.length ? ' and bench/results/latency.svg' : ''}`);
  if (publish) {
    copyFileSync(join(resultsDir, 'latest.json'), join(here, 'RESULTS.json'));
    if (groups.length) copyFileSync(join(resultsDir, 'latency.svg'), join(here, 'latency.svg'));
    console.log('published bench/RESULTS.json and bench/latency.svg');
  }
}
