// ocirun update <id> [flags] | --resources FILE|-: new limits on a live container, with runc's
// flags (sizes like 64m as runc reads them) or linux.resources JSON as containerd sends it.
import { readFileSync } from 'node:fs';
import { OciError } from '../../errors.js';
import type { LinuxResources } from '../../spec/index.js';
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** docker/go-units RAMInBytes, as runc parses --memory: "64m", "1g", "512kb", "-1". */
export function ramInBytes(flag: string, value: string): number {
  if (value === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) throw new OciError('ERR_INVALID_ARGUMENT', `invalid value "${value}" for flag --${flag}: expected a size such as 64m or 1g`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

function integer(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new OciError('ERR_INVALID_ARGUMENT', `invalid value "${value}" for flag --${flag}: expected an integer`);
  return Number(value);
}

const main: CommandMain = async (ctx, [id], o) => {
  let r: LinuxResources = {};
  if (o.resources) {
    // fd 0 itself: /dev/stdin cannot be opened when stdin is a socket (ENXIO).
    const file = o.resources === '-' ? 0 : o.resources;
    try {
      r = JSON.parse(readFileSync(file, 'utf8')) as LinuxResources;
    } catch (err) {
      throw new OciError('ERR_INVALID_ARGUMENT', `update: --resources ${o.resources}: ${(err as Error).message}`);
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new OciError('ERR_INVALID_ARGUMENT', `update: --resources ${o.resources}: expected a JSON object (linux.resources)`);
  }
  const set = <K extends keyof LinuxResources>(k: K): NonNullable<LinuxResources[K]> => (r[k] ??= {} as never) as NonNullable<LinuxResources[K]>;
  const mem: [string, keyof NonNullable<LinuxResources['memory']>][] = [
    ['memory', 'limit'], ['memoryReservation', 'reservation'], ['memorySwap', 'swap'], ['kernelMemory', 'kernel'], ['kernelMemoryTcp', 'kernelTCP'],
  ];
  for (const [flag, field] of mem) if (o[flag] !== undefined) (set('memory') as Record<string, number>)[field] = ramInBytes(flag, o[flag]);
  const cpu: [string, keyof NonNullable<LinuxResources['cpu']>][] = [
    ['cpuPeriod', 'period'], ['cpuQuota', 'quota'], ['cpuShare', 'shares'], ['cpuRtPeriod', 'realtimePeriod'], ['cpuRtRuntime', 'realtimeRuntime'],
  ];
  for (const [flag, field] of cpu) if (o[flag] !== undefined) (set('cpu') as Record<string, number>)[field] = integer(flag, o[flag]);
  if (o.cpusetCpus !== undefined) set('cpu').cpus = o.cpusetCpus;
  if (o.cpusetMems !== undefined) set('cpu').mems = o.cpusetMems;
  if (o.pidsLimit !== undefined) r.pids = { limit: integer('pids-limit', o.pidsLimit) };
  if (o.blkioWeight !== undefined) set('blockIO').weight = integer('blkio-weight', o.blkioWeight);
  await (await containerFor(ctx, id)).update(r);
};

export default main;
