// `exec /bin/true` into a running container, interleaved across runtimes.
import { interleaved, newId } from './interleave.mjs';
import { summarize } from './stats.mjs';

export async function execBench(runners, runs) {
  const ids = new Map();
  try {
    for (const r of runners) {
      const id = newId('exec');
      await r.startSleeper(id);
      ids.set(r.name, id);
    }
    const { samples, failures } = await interleaved(runners, runs, 2, (r) => r.exec(ids.get(r.name)));
    return runners.map((r) => ({ runtime: r.name, ms: summarize(samples.get(r.name)), samples: samples.get(r.name), failures: failures.get(r.name) }));
  } finally {
    for (const r of runners) if (ids.has(r.name)) await r.stopSleeper(ids.get(r.name)).catch(() => r.cleanup(ids.get(r.name)));
  }
}
