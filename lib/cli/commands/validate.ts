// ocirun validate [bundle] [--json]: report every problem of a bundle's config.json.
// Exit 0 when valid (warnings allowed), 1 when any error.
import type { CommandMain } from '../program.js';
import { formatProblem, validateBundle } from '../../validate/index.js';
import { writeOut } from '../output.js';

const main: CommandMain = async (_ctx, args, opts) => {
  const bundle = args[0] ?? '.';
  const report = validateBundle(bundle);
  if (opts.json) {
    writeOut(JSON.stringify(report, null, 2) + '\n');
  } else {
    for (const p of report.problems) writeOut(formatProblem(p) + '\n');
    const errors = report.problems.filter((p) => p.severity === 'error').length;
    const warnings = report.problems.length - errors;
    const counts = [`${errors} error${errors === 1 ? '' : 's'}`, `${warnings} warning${warnings === 1 ? '' : 's'}`].join(', ');
    writeOut(report.valid ? `bundle ${bundle} is valid (${counts})\n` : `bundle ${bundle} is not valid (${counts})\n`);
  }
  return report.valid ? 0 : 1;
};

export default main;
