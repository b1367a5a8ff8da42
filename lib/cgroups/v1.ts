// cgroup v1 writers: one file per knob, in each controller's own hierarchy (Documentation/
// admin-guide/cgroup-v1). Knobs a kernel lacks (kernel memory on recent kernels, blkio weights
// without BFQ/CFQ, swap accounting off) are refused, never skipped.
import type { LinuxBlockIO, LinuxCPU, LinuxHugepageLimit, LinuxMemory, LinuxNetwork, LinuxRdma } from '../spec/index.js';
import { hugepageSize, type Emitter } from './settings.js';

const unlimited = (v: number) => (v === -1 ? '-1' : String(v));

export function v1Memory(m: LinuxMemory, e: Emitter): void {
  if (m.limit !== undefined) e.write('memory.limit_in_bytes', unlimited(m.limit), 'limit');
  if (m.swap !== undefined) {
    if (!e.has('memory.memsw.limit_in_bytes')) e.refuse('swap', 'swap accounting is off on this host (no memory.memsw.limit_in_bytes)');
    e.write('memory.memsw.limit_in_bytes', unlimited(m.swap), 'swap');
  }
  if (m.reservation !== undefined) e.write('memory.soft_limit_in_bytes', unlimited(m.reservation), 'reservation');
  if (m.kernel !== undefined) {
    if (!e.has('memory.kmem.limit_in_bytes')) e.refuse('kernel', 'this kernel has no kernel memory limit (memory.kmem.limit_in_bytes)');
    e.write('memory.kmem.limit_in_bytes', unlimited(m.kernel), 'kernel');
  }
  if (m.kernelTCP !== undefined) {
    if (!e.has('memory.kmem.tcp.limit_in_bytes')) e.refuse('kernelTCP', 'this kernel has no kernel TCP memory limit (memory.kmem.tcp.limit_in_bytes)');
    e.write('memory.kmem.tcp.limit_in_bytes', unlimited(m.kernelTCP), 'kernelTCP');
  }
  if (m.swappiness !== undefined) e.write('memory.swappiness', m.swappiness, 'swappiness');
  if (m.disableOOMKiller !== undefined) e.write('memory.oom_control', m.disableOOMKiller ? 1 : 0, 'disableOOMKiller');
  if (m.useHierarchy !== undefined) e.write('memory.use_hierarchy', m.useHierarchy ? 1 : 0, 'useHierarchy');
}

export function v1Cpu(c: LinuxCPU, e: Emitter): void {
  if (c.shares !== undefined) e.write('cpu.shares', c.shares, 'shares');
  // The period first: a quota is checked against the period in force.
  if (c.period !== undefined) e.write('cpu.cfs_period_us', c.period, 'period');
  if (c.quota !== undefined) e.write('cpu.cfs_quota_us', c.quota, 'quota');
  if (c.burst !== undefined) {
    if (!e.has('cpu.cfs_burst_us')) e.refuse('burst', 'this kernel has no CPU burst (cpu.cfs_burst_us)');
    e.write('cpu.cfs_burst_us', c.burst, 'burst');
  }
  if (c.realtimePeriod !== undefined) e.write('cpu.rt_period_us', c.realtimePeriod, 'realtimePeriod');
  if (c.realtimeRuntime !== undefined) e.write('cpu.rt_runtime_us', c.realtimeRuntime, 'realtimeRuntime');
  if (c.idle !== undefined) {
    if (!e.has('cpu.idle')) e.refuse('idle', 'this kernel has no cpu.idle');
    e.write('cpu.idle', c.idle, 'idle');
  }
}

export function v1BlockIO(io: LinuxBlockIO, e: Emitter): void {
  // CFQ's files, or BFQ's (weights only exist with one of those I/O schedulers).
  const weightFile = e.has('blkio.weight') ? 'blkio.weight' : e.has('blkio.bfq.weight') ? 'blkio.bfq.weight' : undefined;
  const noWeights = 'no I/O scheduler with weights on this host (no blkio.weight or blkio.bfq.weight)';
  if (io.weight !== undefined) {
    if (!weightFile) e.refuse('weight', noWeights);
    e.write(weightFile, io.weight, 'weight');
  }
  if (io.leafWeight !== undefined) {
    if (!e.has('blkio.leaf_weight')) e.refuse('leafWeight', 'this kernel has no blkio.leaf_weight');
    e.write('blkio.leaf_weight', io.leafWeight, 'leafWeight');
  }
  (io.weightDevice ?? []).forEach((d, i) => {
    if (d.weight !== undefined) {
      if (!weightFile) e.refuse(`weightDevice/${i}`, noWeights);
      e.write(`${weightFile}_device`, `${d.major}:${d.minor} ${d.weight}`, `weightDevice/${i}/weight`);
    }
    if (d.leafWeight !== undefined) {
      if (!e.has('blkio.leaf_weight_device')) e.refuse(`weightDevice/${i}/leafWeight`, 'this kernel has no blkio.leaf_weight_device');
      e.write('blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, `weightDevice/${i}/leafWeight`);
    }
  });
  const throttle = (list: LinuxBlockIO['throttleReadBpsDevice'], file: string, field: string) =>
    (list ?? []).forEach((d, i) => e.write(file, `${d.major}:${d.minor} ${d.rate ?? 0}`, `${field}/${i}`));
  throttle(io.throttleReadBpsDevice, 'blkio.throttle.read_bps_device', 'throttleReadBpsDevice');
  throttle(io.throttleWriteBpsDevice, 'blkio.throttle.write_bps_device', 'throttleWriteBpsDevice');
  throttle(io.throttleReadIOPSDevice, 'blkio.throttle.read_iops_device', 'throttleReadIOPSDevice');
  throttle(io.throttleWriteIOPSDevice, 'blkio.throttle.write_iops_device', 'throttleWriteIOPSDevice');
}

export function v1Hugetlb(l: LinuxHugepageLimit, i: number, e: Emitter): void {
  const size = hugepageSize(l.pageSize, `${e.pointer}/${i}`);
  e.write(`hugetlb.${size}.limit_in_bytes`, l.limit, `${i}/limit`);
  // The reservation limit too, where the kernel has it (as runc does): reserved pages count.
  e.write(`hugetlb.${size}.rsvd.limit_in_bytes`, l.limit, `${i}/limit`, { optional: true });
}

export function v1NetCls(n: LinuxNetwork, e: Emitter): void {
  if (n.classID !== undefined) e.write('net_cls.classid', n.classID, 'classID');
}

export function v1NetPrio(n: LinuxNetwork, e: Emitter): void {
  (n.priorities ?? []).forEach((p, i) => e.write('net_prio.ifpriomap', `${p.name} ${p.priority}`, `priorities/${i}`));
}

/** rdma.max: one line per HCA device (same format on v1 and v2). */
export function rdmaLines(rdma: Record<string, LinuxRdma | undefined>, e: Emitter): void {
  for (const [hca, r] of Object.entries(rdma)) {
    if (!r) continue;
    const parts = [hca];
    if (r.hcaHandles !== undefined) parts.push(`hca_handle=${r.hcaHandles}`);
    if (r.hcaObjects !== undefined) parts.push(`hca_object=${r.hcaObjects}`);
    if (parts.length === 1) e.refuse(hca, 'an rdma entry needs hcaHandles or hcaObjects');
    e.write('rdma.max', parts.join(' '), hca);
  }
}
