// ocirun events <id> [--stats] [--interval D]: runc's JSON lines, {"type":"stats","id","data"}
// every interval and {"type":"oom","id"} per OOM kill, until the container stops; --stats prints
// the stats once.
import { OciError } from '../../errors.js';
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';
import { writeOut } from '../output.js';

/** Go's duration units, in ms. Microseconds: us, micro sign or Greek mu, as Go takes them. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// Longest first, so ms is not read as m then s. Built from UNITS: a regex literal keeps its
// non-ASCII characters in the bundle, which must stay ASCII (scripts/bundle-cli.mjs).
const UNIT = Object.keys(UNITS)
  .sort((a, b) => b.length - a.length)
  .join('|');

/** Go durations as runc takes them: 5s, 500ms, 1m30s; more than zero. */
export function durationMs(text: string): number {
  let total = 0;
  const re = new RegExp(`(\\d+(?:\\.\\d+)?)(${UNIT})`, 'gy');
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (!text || end !== text.length || total <= 0) throw new OciError('ERR_INVALID_ARGUMENT', `invalid value "${text}" for flag --interval: expected a duration such as 5s or 500ms`);
  return total;
}

const main: CommandMain = async (ctx, [id], o) => {
  const container = await containerFor(ctx, id);
  const line = (type: string, data?: unknown) => writeOut(JSON.stringify(data === undefined ? { type, id } : { type, id, data }) + '\n');
  if (o.stats) {
    line('stats', await container.stats());
    return;
  }
  const events = await container.events({ intervalMs: durationMs(o.interval) });
  await new Promise<void>((resolve, reject) => {
    events.on('stats', (s) => line('stats', s));
    events.on('oom', () => line('oom'));
    events.on('exit', resolve);
    events.on('error', reject);
  });
};

export default main;
