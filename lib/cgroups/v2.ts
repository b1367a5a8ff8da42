// cgroup v2 writers (Documentation/admin-guide/cgroup-v2.rst), with the conversions runc defines
// from the spec's v1-shaped fields: shares → cpu.weight, blkio weights → io.weight, memory+swap →
// swap alone. Fields v2 has no knob for are refused.
import type { LinuxBlockIO, LinuxCPU, LinuxHugepageLimit, LinuxMemory } from '../spec/index.js';
import { hugepageSize, type Emitter } from './settings.js';

const max = (v: number) => (v === -1 ? 'max' : String(v));

/** runc's ConvertMemorySwapToCgroupV2Value: v1's swap is memory+swap, v2's swap.max swap alone. */
export function swapMax(swap: number, limit: number | undefined, e: Emitter): string | undefined {
  if (swap === -1) return 'max';
  if (swap === 0) return undefined;
  if (limit === undefined || limit === -1 || limit === 0) e.refuse('swap', 'cgroup v2 cannot limit swap without a memory limit (swap is memory+swap)');
  if (swap < limit) e.refuse('swap', `memory+swap (${swap}) must not be below the memory limit (${limit})`);
  return String(swap - limit);
}

export function v2Memory(m: LinuxMemory, e: Emitter): void {
  if (m.reservation !== undefined) e.write('memory.low', max(m.reservation), 'reservation');
  if (m.swap !== undefined) {
    const v = swapMax(m.swap, m.limit, e);
    if (v !== undefined) e.write('memory.swap.max', v, 'swap');
  }
  if (m.limit !== undefined) e.write('memory.max', max(m.limit), 'limit');
  if (m.kernel !== undefined) e.refuse('kernel', 'cgroup v2 has no kernel memory limit');
  if (m.kernelTCP !== undefined) e.refuse('kernelTCP', 'cgroup v2 has no kernel TCP memory limit');
  if (m.swappiness !== undefined && m.swappiness !== -1) e.refuse('swappiness', 'cgroup v2 has no per-cgroup swappiness');
  if (m.disableOOMKiller) e.refuse('disableOOMKiller', 'cgroup v2 cannot disable the OOM killer');
  if (m.useHierarchy === false) e.refuse('useHierarchy', 'cgroup v2 is always hierarchical');
}

/** runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] → [1, 10000]. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** runc's ConvertBlkIOToIOWeightValue: [10, 1000] → [1, 10000]. */
export function blkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

export function v2Cpu(c: LinuxCPU, e: Emitter): void {
  if (c.shares !== undefined && c.shares !== 0) e.write('cpu.weight', sharesToWeight(c.shares), 'shares');
  if (c.quota !== undefined || c.period !== undefined) {
    let value = c.quota !== undefined && c.quota > 0 ? String(c.quota) : 'max';
    if (c.period !== undefined && c.period !== 0) value += ` ${c.period}`;
    e.write('cpu.max', value, c.quota !== undefined ? 'quota' : 'period');
  }
  if (c.burst !== undefined) e.write('cpu.max.burst', c.burst, 'burst');
  if (c.idle !== undefined) e.write('cpu.idle', c.idle, 'idle');
  if (c.realtimePeriod !== undefined) e.refuse('realtimePeriod', 'cgroup v2 has no real-time CPU budget');
  if (c.realtimeRuntime !== undefined) e.refuse('realtimeRuntime', 'cgroup v2 has no real-time CPU budget');
}

export function v2IO(io: LinuxBlockIO, e: Emitter): void {
  if (io.weight !== undefined && io.weight !== 0) e.write('io.weight', `default ${blkioToIoWeight(io.weight)}`, 'weight');
  if (io.leafWeight !== undefined) e.refuse('leafWeight', 'cgroup v2 has no leaf weight');
  (io.weightDevice ?? []).forEach((d, i) => {
    if (d.leafWeight !== undefined) e.refuse(`weightDevice/${i}/leafWeight`, 'cgroup v2 has no leaf weight');
    if (d.weight !== undefined) e.write('io.weight', `${d.major}:${d.minor} ${blkioToIoWeight(d.weight)}`, `weightDevice/${i}/weight`);
  });
  const throttle = (list: LinuxBlockIO['throttleReadBpsDevice'], key: string, field: string) =>
    (list ?? []).forEach((d, i) => e.write('io.max', `${d.major}:${d.minor} ${key}=${d.rate ? d.rate : 'max'}`, `${field}/${i}`));
  throttle(io.throttleReadBpsDevice, 'rbps', 'throttleReadBpsDevice');
  throttle(io.throttleWriteBpsDevice, 'wbps', 'throttleWriteBpsDevice');
  throttle(io.throttleReadIOPSDevice, 'riops', 'throttleReadIOPSDevice');
  throttle(io.throttleWriteIOPSDevice, 'wiops', 'throttleWriteIOPSDevice');
}

export function v2Hugetlb(l: LinuxHugepageLimit, i: number, e: Emitter): void {
  const size = hugepageSize(l.pageSize, `${e.pointer}/${i}`);
  e.write(`hugetlb.${size}.max`, l.limit, `${i}/limit`);
  e.write(`hugetlb.${size}.rsvd.max`, l.limit, `${i}/limit`, { optional: true });
}
