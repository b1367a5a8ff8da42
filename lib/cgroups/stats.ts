// A container's resource usage in runc's shape (libcontainer's cgroups.Stats, as `runc events`
// prints it), read from whichever hierarchy carries each controller; and its OOM-kill count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirOf, type CgroupRecord } from './record.js';

export interface CgroupStats {
  cpu?: { usage: { total: number; percpu?: number[]; kernel: number; user: number }; throttling: { periods: number; throttled_periods: number; throttled_time: number } };
  memory?: { usage: MemoryEntry; swap?: MemoryEntry; kernel?: MemoryEntry; raw: Record<string, number> };
  pids?: { current: number; limit: number };
  blkio?: { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] };
  hugetlb?: Record<string, { usage: number; max: number; failcnt: number }>;
}
export interface MemoryEntry {
  usage: number;
  max: number;
  limit: number;
  failcnt: number;
}
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const num = (path: string): number => {
  const v = read(path);
  return v === undefined || v === 'max' ? 0 : Number(v);
};
/** "key value" lines (memory.stat, cpu.stat, memory.events) as an object. */
export function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of (text ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}
/** The kernel's "max" for no limit, as runc reports it (the largest uint64 it can hold). */
const limitOf = (path: string): number => (read(path) === 'max' ? Number.MAX_SAFE_INTEGER : num(path));

export function cgroupStats(cg: CgroupRecord): CgroupStats {
  const s: CgroupStats = {};
  const cpu = dirOf(cg, 'cpu');
  const acct = dirOf(cg, 'cpuacct');
  if (cpu?.version === 2) {
    const st = keyed(read(`${cpu.dir}/cpu.stat`));
    s.cpu = {
      usage: { total: (st.usage_usec ?? 0) * 1000, kernel: (st.system_usec ?? 0) * 1000, user: (st.user_usec ?? 0) * 1000 },
      throttling: { periods: st.nr_periods ?? 0, throttled_periods: st.nr_throttled ?? 0, throttled_time: (st.throttled_usec ?? 0) * 1000 },
    };
  } else if (cpu || acct) {
    const st = keyed(cpu ? read(`${cpu.dir}/cpu.stat`) : undefined);
    const ticks = keyed(acct ? read(`${acct.dir}/cpuacct.stat`) : undefined);
    const tick = 1e9 / 100;
    s.cpu = {
      usage: {
        total: acct ? num(`${acct.dir}/cpuacct.usage`) : 0,
        percpu: acct ? (read(`${acct.dir}/cpuacct.usage_percpu`) ?? '').split(/\s+/).filter(Boolean).map(Number) : [],
        kernel: (ticks.system ?? 0) * tick,
        user: (ticks.user ?? 0) * tick,
      },
      throttling: { periods: st.nr_periods ?? 0, throttled_periods: st.nr_throttled ?? 0, throttled_time: st.throttled_time ?? 0 },
    };
  }
  const mem = dirOf(cg, 'memory');
  if (mem?.version === 1) {
    const entry = (prefix: string): MemoryEntry => ({
      usage: num(`${mem.dir}/${prefix}usage_in_bytes`),
      max: num(`${mem.dir}/${prefix}max_usage_in_bytes`),
      limit: num(`${mem.dir}/${prefix}limit_in_bytes`),
      failcnt: num(`${mem.dir}/${prefix}failcnt`),
    });
    s.memory = { usage: entry('memory.'), swap: entry('memory.memsw.'), kernel: entry('memory.kmem.'), raw: keyed(read(`${mem.dir}/memory.stat`)) };
  } else if (mem) {
    const events = keyed(read(`${mem.dir}/memory.events`));
    s.memory = {
      usage: { usage: num(`${mem.dir}/memory.current`), max: num(`${mem.dir}/memory.peak`), limit: limitOf(`${mem.dir}/memory.max`), failcnt: events.max ?? 0 },
      swap: { usage: num(`${mem.dir}/memory.swap.current`), max: num(`${mem.dir}/memory.swap.peak`), limit: limitOf(`${mem.dir}/memory.swap.max`), failcnt: 0 },
      raw: keyed(read(`${mem.dir}/memory.stat`)),
    };
  }
  const pids = dirOf(cg, 'pids');
  if (pids) s.pids = { current: num(`${pids.dir}/pids.current`), limit: num(`${pids.dir}/pids.max`) };
  const blk = dirOf(cg, 'blkio') ?? dirOf(cg, 'io');
  if (blk?.version === 1) {
    s.blkio = {
      ioServiceBytesRecursive: blkioLines(read(`${blk.dir}/blkio.throttle.io_service_bytes_recursive`)),
      ioServicedRecursive: blkioLines(read(`${blk.dir}/blkio.throttle.io_serviced_recursive`)),
    };
  } else if (blk) {
    s.blkio = { ioServiceBytesRecursive: [], ioServicedRecursive: [] };
    for (const l of (read(`${blk.dir}/io.stat`) ?? '').split('\n').filter(Boolean)) {
      const [dev, ...kv] = l.split(' ');
      const [major, minor] = dev!.split(':').map(Number);
      const f = Object.fromEntries(kv.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
      s.blkio.ioServiceBytesRecursive.push({ major: major!, minor: minor!, op: 'Read', value: f.rbytes ?? 0 }, { major: major!, minor: minor!, op: 'Write', value: f.wbytes ?? 0 });
      s.blkio.ioServicedRecursive.push({ major: major!, minor: minor!, op: 'Read', value: f.rios ?? 0 }, { major: major!, minor: minor!, op: 'Write', value: f.wios ?? 0 });
    }
  }
  const huge = dirOf(cg, 'hugetlb');
  if (huge) {
    s.hugetlb = {};
    const v1 = huge.version === 1;
    for (const f of readdirSafe(huge.dir)) {
      const m = /^hugetlb\.([0-9]+[KMG]B)\.(usage_in_bytes|current)$/.exec(f);
      if (!m) continue;
      const size = m[1]!;
      s.hugetlb[size] = v1
        ? { usage: num(`${huge.dir}/${f}`), max: num(`${huge.dir}/hugetlb.${size}.max_usage_in_bytes`), failcnt: num(`${huge.dir}/hugetlb.${size}.failcnt`) }
        : { usage: num(`${huge.dir}/${f}`), max: 0, failcnt: keyed(read(`${huge.dir}/hugetlb.${size}.events`)).max ?? 0 };
    }
  }
  return s;
}

function blkioLines(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const l of (text ?? '').split('\n')) {
    const [dev, op, value] = l.trim().split(/\s+/);
    if (!dev?.includes(':') || value === undefined) continue;
    const [major, minor] = dev.split(':').map(Number);
    out.push({ major: major!, minor: minor!, op: op!, value: Number(value) });
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** How many processes the OOM killer has killed in the container's memory cgroup. */
export function oomKills(cg: CgroupRecord): number {
  const mem = dirOf(cg, 'memory');
  if (!mem) return 0;
  return keyed(read(mem.version === 1 ? `${mem.dir}/memory.oom_control` : `${mem.dir}/memory.events`)).oom_kill ?? 0;
}
