// The stdout tables.
import { fmt } from './stats.mjs';

function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** "8.1× faster" when `ms` beats the reference, "2.3× slower" when not. */
export function ratio(ms, ref) {
  if (!(ms > 0) || !(ref > 0)) return '-';
  return ms <= ref ? `${fmt(ref / ms, 2)}× faster` : `${fmt(ms / ref, 2)}× slower`;
}

export function latencyTable(title, rows, peers) {
  const header = ['runtime', 'n', 'median', 'p90', 'min', 'max', 'fail', ...peers.map((p) => `vs ${p.name}`)];
  return table(
    `${title} (ms)`,
    header,
    rows.map((r) => [r.runtime, r.ms.n, fmt(r.ms.median), fmt(r.ms.p90), fmt(r.ms.min), fmt(r.ms.max), r.failures.length, ...peers.map((p) => (r.runtime === p.name ? '' : ratio(r.ms.median, p.median)))]),
  );
}

export function parallelTable(rows) {
  return table(
    'Parallel create→start→wait→delete',
    ['runtime', 'N', 'batch wall median ms', 'containers/s', 'latency median ms', 'p90', 'failures', 'leaks'],
    rows.map((r) => [r.runtime, r.size, fmt(r.wallMs.median), fmt(r.containersPerSecond), fmt(r.latencyMs.median), fmt(r.latencyMs.p90), `${r.failures}/${r.size * r.batches}`, r.leaks.length ? 'LEAKED' : 'none']),
  );
}

export function memoryTable(rows) {
  const mb = (kb) => fmt(kb / 1024);
  return table(
    'Memory during create (MiB, median of runs)',
    ['runtime', 'peak: runtime RSS + helpers\' private', 'peak PSS sum', 'runtime process peak RSS', 'waiting container until start: RSS / private'],
    rows.map((r) => [
      r.runtime + (r.idleHostKb ? ` (idle host ${mb(r.idleHostKb)})` : ''),
      mb(r.peakKb.median),
      mb(r.peakPssKb.median),
      mb(r.mainProcessHwmKb.median),
      `${mb(r.heldUntilStartRssKb.median)} / ${mb(r.heldUntilStartUssKb.median)}`,
    ]),
  );
}

export function startupTable(validation, startup) {
  const v = table(
    'Validation in a warm process (µs)',
    ['call', 'median', 'p90', 'min'],
    [
      ['validateConfig(runc default config)', fmt(validation.validateConfigUs.median), fmt(validation.validateConfigUs.p90), fmt(validation.validateConfigUs.min)],
      ['validateBundle(dir) (read+parse+validate)', fmt(validation.validateBundleUs.median), fmt(validation.validateBundleUs.p90), fmt(validation.validateBundleUs.min)],
    ],
  );
  const s = table(
    'CLI start-up (ms, wall)',
    ['command', 'median', 'p90', 'min', 'over node -e 0'],
    startup.map((r) => [r.command, fmt(r.ms.median), fmt(r.ms.p90), fmt(r.ms.min), r.command === 'node -e 0' ? '' : fmt(r.overNodeMedianMs)]),
  );
  return v + '\n' + s;
}

export function seccompTable(rows) {
  return table(
    'Library create from a cached plan (ms)',
    ['bundle', 'n', 'median', 'p90', 'min', 'fail'],
    rows.map((r) => [r.variant, r.ms.n, fmt(r.ms.median), fmt(r.ms.p90), fmt(r.ms.min), r.failures.length]),
  );
}
