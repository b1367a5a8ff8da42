// Peak memory of the runtime's processes while `create` runs, and what the created container's
// waiting process holds until `start` (for ocirun its executor, for runc `runc init`).
import { spawn, spawnSync } from 'node:child_process';
import { libraryHost } from './library-client.mjs';
import { newId } from './interleave.mjs';
import { memory, samplePeak, treeMemory } from './proctree.mjs';
import { summarize } from './stats.mjs';

// 'exit', not 'close': the created container keeps the CLI's stdio open until it runs.
function exited(child, what) {
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what}: exit ${code}`))));
  });
}

async function cliCreate(r, id) {
  const [cmd, args] = r.createArgs(id);
  try {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    const peak = await samplePeak(child.pid, exited(child, `${r.name} create ${id}`));
    const state = spawnSync(r.command[0], [...r.command.slice(1), 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (state.status !== 0) throw new Error(`${r.name} state ${id}: exit ${state.status}: ${state.stderr.trim()}`);
    return { peak, held: memory(JSON.parse(state.stdout).pid) };
  } finally {
    await r.cleanup(id);
  }
}

export async function memoryBench(cliRunners, dist, libRoot, ws, runs) {
  const out = [];
  for (const r of cliRunners) {
    const rows = [];
    for (let i = 0; i < runs; i++) rows.push(await cliCreate(r, newId('mem')));
    out.push(row(r.name, rows));
  }
  const { host, ready, call, close } = libraryHost(dist, libRoot);
  try {
    await ready;
    const idle = treeMemory(host.pid);
    const rows = [];
    for (let i = 0; i < runs; i++) {
      const id = newId('mem');
      await call('reset-peak');
      const created = call('create', { id, bundle: ws.trueBundle.dir });
      const peak = await samplePeak(host.pid, created);
      const held = memory((await created).pid);
      await call('delete', { id });
      rows.push({ peak, held });
    }
    out.push({ ...row('ocirun library', rows), idleHostKb: idle.total, note: 'includes the embedding Node process' });
  } finally {
    // Wait for it to be reaped, or the leak check would see it as a zombie.
    await close();
  }
  return out;
}

function row(runtime, rows) {
  return {
    runtime,
    peakKb: summarize(rows.map((r) => r.peak.total)),
    peakPssKb: summarize(rows.map((r) => r.peak.pss)),
    mainProcessHwmKb: summarize(rows.map((r) => r.peak.hwm)),
    heldUntilStartRssKb: summarize(rows.map((r) => r.held?.rss ?? NaN)),
    heldUntilStartUssKb: summarize(rows.map((r) => r.held?.uss ?? NaN)),
  };
}
