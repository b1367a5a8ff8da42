// A container's resource usage in runc's shape (libcontainer's cgroups.Stats, as `runc events`
// prints it), read from whichever hierarchy carries each controller; and its OOM-kill count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirOf, type CgroupRecord } from './record.js';

export interface CgroupStats {
  cpu?: { usage: { total: number; percpu?: number[]; kernel: number; user: number }; throttling: { periods: number; throttled_periods: number; throttled_time: number } };
  memory?: { usage: MemoryEntry; swap?: MemoryEntry; kernel?: MemoryEntry; kernelTCP?: MemoryEntry; raw: Record<string, number> };
  cpuset?: CpusetStats;
  pids?: { current: number; limit: number };
  blkio?: { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] };
  hugetlb?: Record<string, { usage: number; max: number; failcnt: number }>;
  /** Always present in runc's output: empty (no Intel RDT here), and null (no network stats). */
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}
/** runc's cpuset stats: the lists as numbers, v1's flags as 0/1 (v2 has only the effective lists). */
export interface CpusetStats {
  cpus: number[];
  mems: number[];
  cpu_exclusive?: number;
  mem_hardwall?: number;
  mem_exclusive?: number;
  memory_migrate?: number;
  memory_spread_page?: number;
  memory_spread_slab?: number;
  memory_pressure?: number;
  sched_load_balance?: number;
  sched_relax_domain_level?: number;
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
  const s: CgroupStats = { intel_rdt: {}, network_interfaces: null };
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
    s.memory = { usage: entry('memory.'), swap: entry('memory.memsw.'), kernel: entry('memory.kmem.'), kernelTCP: entry('memory.kmem.tcp.'), raw: keyed(read(`${mem.dir}/memory.stat`)) };
  } else if (mem) {
    const events = keyed(read(`${mem.dir}/memory.events`));
    s.memory = {
      usage: { usage: num(`${mem.dir}/memory.current`), max: num(`${mem.dir}/memory.peak`), limit: limitOf(`${mem.dir}/memory.max`), failcnt: events.max ?? 0 },
      swap: { usage: num(`${mem.dir}/memory.swap.current`), max: num(`${mem.dir}/memory.swap.peak`), limit: limitOf(`${mem.dir}/memory.swap.max`), failcnt: 0 },
      raw: keyed(read(`${mem.dir}/memory.stat`)),
    };
  }
  const cpuset = dirOf(cg, 'cpuset');
  if (cpuset?.version === 1) {
    const flag = (f: string) => num(`${cpuset.dir}/cpuset.${f}`);
    s.cpuset = {
      cpus: cpuList(read(`${cpuset.dir}/cpuset.cpus`)),
      cpu_exclusive: flag('cpu_exclusive'),
      mems: cpuList(read(`${cpuset.dir}/cpuset.mems`)),
      mem_hardwall: flag('mem_hardwall'),
      mem_exclusive: flag('mem_exclusive'),
      memory_migrate: flag('memory_migrate'),
      memory_spread_page: flag('memory_spread_page'),
      memory_spread_slab: flag('memory_spread_slab'),
      memory_pressure: flag('memory_pressure'),
      sched_load_balance: flag('sched_load_balance'),
      sched_relax_domain_level: flag('sched_relax_domain_level'),
    };
  } else if (cpuset) {
    s.cpuset = { cpus: cpuList(read(`${cpuset.dir}/cpuset.cpus.effective`)), mems: cpuList(read(`${cpuset.dir}/cpuset.mems.effective`)) };
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

/** "0-2,4" → [0, 1, 2, 4] (cpuset lists). */
export function cpuList(text: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
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
