// ocirun events <id> [--stats] [--interval D]: runc's JSON lines, {"type":"stats","id","data"}
// every interval and {"type":"oom","id"} per OOM kill, until the container stops; --stats prints
// the stats once.
import { OciError } from '../../errors.js';
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';
import { writeOut } from '../output.js';

/**
 * Go durations as runc takes them: 5s, 500ms, 1m30s. Microseconds are us, \u00b5s (micro sign) or
 * \u03bcs (Greek mu), as in Go; written as escapes because the CLI bundle must stay ASCII
 * (scripts/bundle-cli.mjs).
 */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, '\u00b5s': 1e-3, '\u03bcs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
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
