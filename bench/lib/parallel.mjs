// N containers at once per runtime: wall time of the batch, throughput, per-container latency,
// failures, and a leak check after every batch.
import { findLeaks, leakCount } from './leaks.mjs';
import { ID_PREFIX, newId, roundOrder } from './interleave.mjs';
import { summarize } from './stats.mjs';

export async function parallelBench(runners, sizes, batches, ws) {
  const results = [];
  // Shuffled like the sequential rounds: alternating one order and its reverse still had each
  // runtime follow the same one, whose teardown the kernel finishes during the next batch.
  const order = roundOrder();
  for (const size of sizes) {
    const per = new Map(runners.map((r) => [r.name, { walls: [], latencies: [], failures: [], leaks: [] }]));
    for (let b = 0; b < batches; b++) {
      for (const r of order(runners)) {
        const acc = per.get(r.name);
        const ids = Array.from({ length: size }, () => newId(`p${size}`));
        const t = process.hrtime.bigint();
        const settled = await Promise.allSettled(ids.map((id) => r.lifecycleAsync(id)));
        acc.walls.push(Number(process.hrtime.bigint() - t) / 1e6);
        for (const s of settled) {
          if (s.status === 'fulfilled') acc.latencies.push(s.value);
          else acc.failures.push(s.reason.message);
        }
        // A failed run leaves its container for the caller to delete, as runc does: delete it
        // (--force), then check that nothing at all is left.
        for (const [i, s] of settled.entries()) if (s.status === 'rejected') await r.cleanup(ids[i]);
        const leaks = findLeaks(ws, [r.root], ID_PREFIX);
        if (leakCount(leaks)) acc.leaks.push(leaks);
      }
    }
    for (const r of runners) {
      const acc = per.get(r.name);
      const wall = summarize(acc.walls);
      results.push({
        runtime: r.name,
        size,
        batches,
        wallMs: wall,
        containersPerSecond: (size * 1000) / wall.median,
        latencyMs: summarize(acc.latencies),
        failures: acc.failures.length,
        failureSamples: [...new Set(acc.failures)].slice(0, 3),
        leaks: acc.leaks,
      });
    }
  }
  return results;
}
