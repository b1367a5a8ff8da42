// One run's results and their renderings: the clause table for the terminal (per spec section),
// the JSON document, and a self-contained HTML page.

export type Outcome = 'pass' | 'fail' | 'skip';

export interface Row {
  id: string;
  /** what the test checks (its name without the spec reference and ID) */
  name: string;
  /** spec file and anchor, e.g. config-linux.md#seccomp */
  where: string;
  /** test file of the suite */
  file: string;
  result: Outcome;
  /** skip reason or first line of the failure */
  reason: string;
  ms: number;
}

export interface RuntimeRun {
  name: string;
  path: string;
  version: string;
  rows: Row[];
}

/** A clause of the spec a test checks (from COVERAGE.md): its sentence and where it is. */
export interface Clause {
  ref: string;
  file: string;
  line: number;
  text: string;
  level: string;
}

const SPEC_URL = 'https://github.com/opencontainers/runtime-spec/blob/v1.3.0/';
const RUNC_CLI_URL = 'https://github.com/opencontainers/runc/blob/v1.1.5/man/';

const ID = /\[([A-Za-z0-9_.-]+)\]\s*$/;

/** `<spec file>#<anchor>: <what> [<ID>]` → its parts */
export function parseTitle(title: string): { id: string; where: string; name: string } | undefined {
  const m = ID.exec(title);
  if (!m) return undefined;
  const rest = title.replace(ID, '').trim();
  const colon = rest.indexOf(': ');
  return { id: m[1]!, where: colon > 0 ? rest.slice(0, colon) : '', name: colon > 0 ? rest.slice(colon + 2) : rest };
}

export function specFileOf(where: string): string {
  return where.split('#')[0] || '(other)';
}

export function linkOf(where: string): string {
  const [file, anchor] = where.split('#');
  if (file?.startsWith('runc-cli')) return `${RUNC_CLI_URL}runc-${anchor ?? ''}.8.md`;
  return `${SPEC_URL}${file ?? ''}${anchor ? `#${anchor}` : ''}`;
}

export function clauseLink(c: Clause): string {
  return `${SPEC_URL}${c.file}?plain=1#L${c.line}`;
}

const count = (rows: Row[], k: Outcome) => rows.filter((r) => r.result === k).length;

/** section (spec file#anchor) → rows, in first-seen order */
function sections(runs: RuntimeRun[]): { where: string; ids: string[] }[] {
  const out = new Map<string, string[]>();
  for (const run of runs) {
    for (const r of run.rows) {
      const list = out.get(r.where) ?? [];
      if (!list.includes(r.id)) list.push(r.id);
      out.set(r.where, list);
    }
  }
  return [...out].map(([where, ids]) => ({ where, ids })).sort((a, b) => a.where.localeCompare(b.where));
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padLeft = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** The clause table: every test under its spec section, then the per-section summary. */
export function formatTable(runs: RuntimeRun[], o: { width?: number; verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const byId = runs.map((r) => new Map(r.rows.map((x) => [x.id, x])));
  const secs = sections(runs);
  const idWidth = Math.max(4, ...runs.flatMap((r) => r.rows.map((x) => x.id.length)));
  const col = Math.max(6, ...runs.map((r) => r.name.length));
  const width = o.width ?? 160;
  for (const s of secs) {
    lines.push('', s.where);
    for (const id of s.ids) {
      const any = byId.map((m) => m.get(id)).find(Boolean)!;
      const cells = byId.map((m) => pad(m.get(id)?.result ?? '-', col)).join('  ');
      const room = Math.max(20, width - idWidth - runs.length * (col + 2) - 4);
      const name = any.name.length > room ? `${any.name.slice(0, room - 1)}…` : any.name;
      lines.push(`  ${pad(id, idWidth)}  ${cells}  ${name}`);
      if (o.verbose) {
        byId.forEach((m, i) => {
          const r = m.get(id);
          if (r && r.result !== 'pass' && r.reason) lines.push(`  ${' '.repeat(idWidth)}  ${runs[i]!.name}: ${r.result}: ${r.reason.slice(0, width - idWidth - 20)}`);
        });
      }
    }
  }
  lines.push('', ...formatSummary(runs));
  return lines.join('\n');
}

/** pass/fail/skip per spec section and runtime, side by side; then the totals. */
export function formatSummary(runs: RuntimeRun[]): string[] {
  const secs = sections(runs);
  const w = Math.max(7, ...secs.map((s) => s.where.length));
  const cell = 15;
  const lines = [`${pad('section', w)}  ${runs.map((r) => padLeft(`${r.name} p/f/s`, cell)).join('  ')}`];
  lines.push(`${'-'.repeat(w)}  ${runs.map(() => '-'.repeat(cell)).join('  ')}`);
  const fmt = (rows: Row[]) => `${count(rows, 'pass')}/${count(rows, 'fail')}/${count(rows, 'skip')}`;
  for (const s of secs) {
    lines.push(`${pad(s.where, w)}  ${runs.map((r) => padLeft(fmt(r.rows.filter((x) => x.where === s.where)), cell)).join('  ')}`);
  }
  lines.push(`${pad('total', w)}  ${runs.map((r) => padLeft(fmt(r.rows), cell)).join('  ')}`);
  lines.push('');
  for (const r of runs) lines.push(`${r.name} (${r.path}, ${r.version}): passed ${count(r.rows, 'pass')}, failed ${count(r.rows, 'fail')}, skipped ${count(r.rows, 'skip')}, total ${r.rows.length}`);
  return lines;
}

export function toJson(runs: RuntimeRun[], clauses: Record<string, Clause[]>): string {
  return JSON.stringify(
    {
      spec: 'OCI runtime-spec v1.3.0',
      generated: new Date().toISOString(),
      runtimes: runs.map((r) => ({
        name: r.name,
        path: r.path,
        version: r.version,
        summary: { pass: count(r.rows, 'pass'), fail: count(r.rows, 'fail'), skip: count(r.rows, 'skip'), total: r.rows.length },
        results: r.rows.map((x) => ({ ...x, link: linkOf(x.where), clauses: (clauses[x.id] ?? []).map((c) => ({ ...c, link: clauseLink(c) })) })),
      })),
    },
    null,
    2,
  );
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page: per spec file, a table of its tests with their clauses and results. */
export function toHtml(runs: RuntimeRun[], clauses: Record<string, Clause[]>): string {
  const byId = runs.map((r) => new Map(r.rows.map((x) => [x.id, x])));
  const files = new Map<string, { where: string; ids: string[] }[]>();
  for (const s of sections(runs)) {
    const f = specFileOf(s.where);
    files.set(f, [...(files.get(f) ?? []), s]);
  }
  const summary = runs
    .map((r) => `<tr><th>${esc(r.name)}</th><td>${esc(r.path)}</td><td>${esc(r.version)}</td><td class="pass">${count(r.rows, 'pass')}</td><td class="fail">${count(r.rows, 'fail')}</td><td class="skip">${count(r.rows, 'skip')}</td><td>${r.rows.length}</td></tr>`)
    .join('\n');
  const body: string[] = [];
  for (const [file, secs] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const all = secs.flatMap((s) => s.ids);
    const counts = runs.map((r, i) => {
      const rows = all.map((id) => byId[i]!.get(id)).filter((x): x is Row => !!x);
      return `${esc(r.name)}: <span class="pass">${count(rows, 'pass')}</span>/<span class="fail">${count(rows, 'fail')}</span>/<span class="skip">${count(rows, 'skip')}</span>`;
    });
    body.push(`<h2 id="${esc(file)}">${esc(file)}</h2><p>${all.length} tests; pass/fail/skip — ${counts.join(' · ')}</p>`);
    body.push(`<table><thead><tr><th>section</th><th>test</th><th>checks</th><th>clause</th>${runs.map((r) => `<th>${esc(r.name)}</th>`).join('')}</tr></thead><tbody>`);
    for (const s of secs) {
      for (const id of s.ids) {
        const any = byId.map((m) => m.get(id)).find(Boolean)!;
        const cl = (clauses[id] ?? []).map((c) => `<a href="${esc(clauseLink(c))}" title="${esc(c.level)}">${esc(c.ref)}</a> ${esc(c.text)}`).join('<br>');
        const cells = byId
          .map((m) => {
            const r = m.get(id);
            if (!r) return '<td>-</td>';
            return `<td class="${r.result}">${r.result}${r.reason ? `<div class="why">${esc(r.reason.slice(0, 400))}</div>` : ''}</td>`;
          })
          .join('');
        body.push(`<tr id="${esc(id)}"><td><a href="${esc(linkOf(s.where))}">${esc(s.where.split('#')[1] ?? s.where)}</a></td><td><code>${esc(id)}</code><div class="why">${esc(any.file)}</div></td><td>${esc(any.name)}</td><td>${cl}</td>${cells}</tr>`);
      }
    }
    body.push('</tbody></table>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OCI runtime-spec v1.3.0 conformance: ${esc(runs.map((r) => r.name).join(', '))}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:2em;width:100%}
th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
thead th{background:#f3f3f3;position:sticky;top:0}
td.pass,span.pass{color:#116611}td.pass{background:#e9f7e9}
td.fail,span.fail{color:#a00}td.fail{background:#fbe9e9}
td.skip,span.skip{color:#775500}td.skip{background:#fbf5e0}
.why{font-size:11px;color:#555;max-width:32em;overflow-wrap:anywhere}
code{font-size:12px}
</style></head><body>
<h1>OCI runtime-spec v1.3.0 conformance</h1>
<p>Generated ${esc(new Date().toISOString())}. Each test checks one MUST/SHOULD of the spec (linked); a skip says why it could not run here — a runtime that refuses a feature skips that feature's tests.</p>
<table><thead><tr><th>runtime</th><th>binary</th><th>version</th><th>pass</th><th>fail</th><th>skip</th><th>total</th></tr></thead><tbody>
${summary}
</tbody></table>
<p>${[...files.keys()].sort().map((f) => `<a href="#${esc(f)}">${esc(f)}</a>`).join(' · ')}</p>
${body.join('\n')}
</body></html>
`;
}
