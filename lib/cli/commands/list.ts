// ocirun list [--format table|json] [--quiet]
import type { CommandMain } from '../program.js';
import { runtimeFor } from '../runtime-for.js';
import { writeOut } from '../output.js';

const main: CommandMain = async (ctx, _args, opts) => {
  const states = await runtimeFor(ctx).list();
  if (opts.quiet) {
    for (const s of states) writeOut(s.id + '\n');
  } else if (opts.format === 'json') {
    writeOut(JSON.stringify(states) + '\n');
  } else {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid ?? 0), s.status, s.bundle, s.created, s.owner])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) writeOut(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 3))).join('') + '\n');
  }
};

export default main;
