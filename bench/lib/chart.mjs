// An SVG of latency distributions: one row per runtime and scenario on a log time axis, with
// every sample as a dot, the p25–p75 box, the min–max whisker and the median marked and labelled.
import { quantile } from './stats.mjs';
import { fmt } from './stats.mjs';

const COLORS = { 'ocirun library': '#1b7f3b', 'ocirun CLI': '#2f6fb5', runc: '#b5472f', crun: '#8a5db5', 'node -e 0': '#777777' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** groups: [{ title, rows: [{ label, runtime, samples }] }]; subtitle: a line or an array of lines. */
export function latencyChart(groups, subtitle) {
  const all = groups.flatMap((g) => g.rows.flatMap((r) => r.samples)).filter((x) => x > 0);
  // The axis spans the data with a margin, not whole decades: the rows stay readable.
  const lo = Math.log10(Math.min(...all)) - 0.08;
  const hi = Math.log10(Math.max(...all)) + 0.05;
  const lines = [].concat(subtitle);
  const left = 200, right = 90, width = 900, rowH = 34, top = 48 + lines.length * 16;
  const plotW = width - left - right;
  const x = (ms) => left + ((Math.log10(ms) - lo) / (hi - lo)) * plotW;
  const rows = groups.reduce((n, g) => n + g.rows.length + 1, 0);
  const height = top + rows * rowH + 40;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">Latency per operation (ms, log scale; lower is better)</text>`);
  lines.forEach((l, i) => out.push(`<text x="${left}" y="${40 + i * 16}" fill="#555">${esc(l)}</text>`));
  // Grid: 1, 2, 5 per decade.
  const axisY = height - 34;
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) < lo || Math.log10(v) > hi) continue;
      const gx = x(v);
      out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${axisY}" stroke="${m === 1 ? '#cccccc' : '#eeeeee'}"/>`);
      out.push(`<text x="${gx}" y="${axisY + 16}" text-anchor="middle" fill="#444">${fmt(v)}</text>`);
    }
  }
  let y = top;
  for (const g of groups) {
    out.push(`<text x="10" y="${y + 14}" font-weight="bold">${esc(g.title)}</text>`);
    y += rowH;
    for (const r of g.rows) {
      const s = [...r.samples].filter((v) => v > 0).sort((a, b) => a - b);
      if (!s.length) continue;
      const c = COLORS[r.runtime] ?? '#333';
      const mid = y + rowH / 2 - 6;
      const [p25, med, p75] = [0.25, 0.5, 0.75].map((q) => quantile(s, q));
      out.push(`<text x="20" y="${mid + 4}">${esc(r.label)}</text>`);
      out.push(`<line x1="${x(s[0])}" y1="${mid}" x2="${x(s[s.length - 1])}" y2="${mid}" stroke="${c}" stroke-width="1"/>`);
      out.push(`<rect x="${x(p25)}" y="${mid - 8}" width="${Math.max(1, x(p75) - x(p25))}" height="16" fill="${c}" fill-opacity="0.18" stroke="${c}"/>`);
      s.forEach((v, i) => {
        const jitter = ((i * 7919) % 11) - 5; // deterministic spread so dots do not stack
        out.push(`<circle cx="${x(v).toFixed(1)}" cy="${(mid + jitter).toFixed(1)}" r="1.8" fill="${c}" fill-opacity="0.6"/>`);
      });
      out.push(`<line x1="${x(med)}" y1="${mid - 11}" x2="${x(med)}" y2="${mid + 11}" stroke="${c}" stroke-width="3"/>`);
      out.push(`<text x="${width - right + 8}" y="${mid + 4}" fill="${c}" font-weight="bold">${fmt(med)} ms</text>`);
      y += rowH;
    }
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" fill="#444">milliseconds (bar: median; box: p25–p75; line: min–max; dots: every run)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
