// ocirun ps <id> [ps args]: the processes of a container (those in its pid namespace).
import { execFileSync } from 'node:child_process';
import type { CommandMain } from '../program.js';
import { runtimeFor } from '../runtime-for.js';
import { OciError } from '../../errors.js';
import { writeOut } from '../output.js';

const main: CommandMain = async (ctx, [id, ...psArgs], opts) => {
  const pids = runtimeFor(ctx).pids(id);
  if (opts.format === 'json') {
    writeOut(JSON.stringify(pids) + '\n');
    return;
  }
  const out = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  const [header, ...lines] = out.trimEnd().split('\n');
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new OciError('ERR_INVALID_ARGUMENT', 'ps: the output has no PID column; pass ps arguments that print one');
  const wanted = new Set(pids);
  writeOut(header + '\n');
  for (const line of lines) if (wanted.has(Number(line.trim().split(/\s+/)[pidColumn]))) writeOut(line + '\n');
};

export default main;
