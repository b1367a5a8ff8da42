// ocirun ps <id> [ps args]: the processes of a container (those in its pid namespace). As runc,
// the words after the id go to ps(1) as given (default -ef), and only lines whose PID column
// names a process of the container are kept.
import { spawnSync } from 'node:child_process';
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';
import { OciError } from '../../errors.js';
import { writeOut } from '../output.js';

const main: CommandMain = async (ctx, [id, ...psArgs], opts) => {
  const pids = await (await containerFor(ctx, id)).pids();
  if (opts.format === 'json') {
    writeOut(JSON.stringify(pids) + '\n');
    return;
  }
  const args = psArgs.length ? psArgs : ['-ef'];
  const ps = spawnSync('ps', args, { encoding: 'utf8' });
  if (ps.error) throw new OciError('ERR_INVALID_ARGUMENT', `ps: cannot run ps(1): ${ps.error.message}`);
  if (ps.status !== 0) {
    const why = ps.signal ? `killed by ${ps.signal}` : `exit status ${ps.status}`;
    throw new OciError('ERR_INVALID_ARGUMENT', `ps ${args.join(' ')}: ${why}: ${ps.stderr.trim()}`);
  }
  const [header, ...lines] = ps.stdout.trimEnd().split('\n');
  const pidColumn = header.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new OciError('ERR_INVALID_ARGUMENT', `ps ${args.join(' ')}: the output has no PID column; pass ps arguments that print one`);
  const wanted = new Set(pids);
  let out = header + '\n';
  for (const line of lines) if (wanted.has(Number(line.trim().split(/\s+/)[pidColumn]))) out += line + '\n';
  writeOut(out);
};

export default main;
