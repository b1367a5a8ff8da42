// Summary statistics for one series of timings (milliseconds unless noted).

/** The q-quantile by linear interpolation between closest ranks (q in [0, 1]). */
export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    mean: s.reduce((a, b) => a + b, 0) / (s.length || 1),
  };
}

/** Three significant digits at most, so tables stay narrow. */
export function fmt(x, digits = 3) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return Number(x.toPrecision(digits)).toString();
}

/** Time one synchronous call (µs) `runs` times, after `warmup` calls that let the JIT settle. */
export function perCallUs(fn, runs, warmup = 200) {
  for (let i = 0; i < Math.min(runs, warmup); i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return summarize(times);
}
