// config-linux.md#control-groups: cgroupsPath and resources, read back from the container's
// cgroup on the host after create (cgroup v1 files here; v2-only parts skip with a reason).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, describeResult, expect, featureTest, spec, test as plainTest, type Harness } from '../harness/harness.js';
import { CGROUPS } from '../harness/feature-catalog.js';
import { cgroupMounts, procCgroups, readCgroupFile } from '../harness/host.js';
import type { Config } from '../harness/bundle.js';
import { cgroupV1, cgroupV1File, cgroupV2Unified, numa, resctrl } from '../harness/requires.js';
import { userns, withNamespace } from '../harness/patches.js';

const SLEEP = ['sleep', '600'];
/** every test here needs cgroups; the one expecting a refusal needs cgroups that work */
const test = featureTest(CGROUPS);

/** A created container with `resources`; `read` reads a file of its own cgroup (checked to be cgroupsPath). */
async function createdWith(h: Harness, resources: Record<string, unknown>, patch?: (c: Config) => void): Promise<{ pid: number; read: (controller: string, file: string) => string }> {
  const b = h.bundle({
    args: SLEEP,
    patch: (c) => {
      Object.assign(c.linux.resources, resources);
      patch?.(c);
    },
  });
  const pid = (await h.mustCreate(b)).pid!;
  return { pid, read: (controller, file) => readCgroupFile(pid, controller, file, b.config.linux.cgroupsPath) };
}

/** first real disk (not loop/ram/zram), for blkio throttling rules */
function diskMajMin(): string | undefined {
  for (const d of readdirSync('/sys/block')) {
    if (/^(loop|ram|zram)/.test(d)) continue;
    return readFileSync(`/sys/block/${d}/dev`, 'utf8').trim();
  }
  return undefined;
}

interface FileCase {
  id: string;
  anchor: string;
  what: string;
  controller: string;
  file: string;
  resources: Record<string, unknown>;
  want: string | ((v: string) => void);
}

const cases: FileCase[] = [
  { id: 'LNX-CG-MEM-limit', anchor: 'memory', what: 'memory.limit sets the memory limit', controller: 'memory', file: 'memory.limit_in_bytes', resources: { memory: { limit: 104857600 } }, want: '104857600' },
  { id: 'LNX-CG-MEM-reservation', anchor: 'memory', what: 'memory.reservation sets the soft limit', controller: 'memory', file: 'memory.soft_limit_in_bytes', resources: { memory: { reservation: 52428800 } }, want: '52428800' },
  { id: 'LNX-CG-MEM-swap', anchor: 'memory', what: 'memory.swap sets the memory+swap limit', controller: 'memory', file: 'memory.memsw.limit_in_bytes', resources: { memory: { limit: 104857600, swap: 209715200 } }, want: '209715200' },
  { id: 'LNX-CG-MEM-swappiness', anchor: 'memory', what: 'memory.swappiness sets swappiness', controller: 'memory', file: 'memory.swappiness', resources: { memory: { swappiness: 17 } }, want: '17' },
  {
    id: 'LNX-CG-MEM-oomkiller',
    anchor: 'memory',
    what: 'memory.disableOOMKiller true disables the OOM killer',
    controller: 'memory',
    file: 'memory.oom_control',
    resources: { memory: { limit: 104857600, disableOOMKiller: true } },
    want: (v) => expect(v.split('\n')).toContain('oom_kill_disable 1'),
  },
  { id: 'LNX-CG-MEM-kernelTCP', anchor: 'memory', what: 'memory.kernelTCP sets the kernel TCP buffer limit', controller: 'memory', file: 'memory.kmem.tcp.limit_in_bytes', resources: { memory: { kernelTCP: 16777216 } }, want: '16777216' },
  { id: 'LNX-CG-CPU-shares', anchor: 'cpu', what: 'cpu.shares sets the relative share', controller: 'cpu', file: 'cpu.shares', resources: { cpu: { shares: 512 } }, want: '512' },
  { id: 'LNX-CG-CPU-quota', anchor: 'cpu', what: 'cpu.quota sets the CFS quota', controller: 'cpu', file: 'cpu.cfs_quota_us', resources: { cpu: { quota: 50000, period: 100000 } }, want: '50000' },
  { id: 'LNX-CG-CPU-period', anchor: 'cpu', what: 'cpu.period sets the CFS period', controller: 'cpu', file: 'cpu.cfs_period_us', resources: { cpu: { quota: 50000, period: 200000 } }, want: '200000' },
  { id: 'LNX-CG-CPU-burst', anchor: 'cpu', what: 'cpu.burst sets the CFS burst', controller: 'cpu', file: 'cpu.cfs_burst_us', resources: { cpu: { quota: 50000, period: 100000, burst: 20000 } }, want: '20000' },
  { id: 'LNX-CG-CPU-idle', anchor: 'cpu', what: 'cpu.idle sets SCHED_IDLE weight for the cgroup', controller: 'cpu', file: 'cpu.idle', resources: { cpu: { idle: 1 } }, want: '1' },
  { id: 'LNX-CG-CPU-rtPeriod', anchor: 'cpu', what: 'cpu.realtimePeriod sets the realtime period', controller: 'cpu', file: 'cpu.rt_period_us', resources: { cpu: { realtimePeriod: 900000 } }, want: '900000' },
  { id: 'LNX-CG-CPU-cpus', anchor: 'cpu', what: 'cpu.cpus sets the cpuset CPUs', controller: 'cpuset', file: 'cpuset.cpus', resources: { cpu: { cpus: '0' } }, want: '0' },
  { id: 'LNX-CG-CPU-mems', anchor: 'cpu', what: 'cpu.mems sets the cpuset memory nodes', controller: 'cpuset', file: 'cpuset.mems', resources: { cpu: { mems: '0' } }, want: '0' },
  { id: 'LNX-CG-PIDS-limit', anchor: 'pids', what: 'pids.limit sets the task limit', controller: 'pids', file: 'pids.max', resources: { pids: { limit: 42 } }, want: '42' },
  { id: 'LNX-CG-PIDS-unlimited', anchor: 'pids', what: 'pids.limit -1 means no limit (max)', controller: 'pids', file: 'pids.max', resources: { pids: { limit: -1 } }, want: 'max' },
  { id: 'LNX-CG-PIDS-zero', anchor: 'pids', what: 'SHOULD: pids.limit 0 is a valid limit of zero tasks', controller: 'pids', file: 'pids.max', resources: { pids: { limit: 0 } }, want: '0' },
  { id: 'LNX-CG-BLKIO-weight', anchor: 'block-io', what: 'blockIO.weight sets the default weight', controller: 'blkio', file: 'blkio.weight', resources: { blockIO: { weight: 300 } }, want: '300' },
  { id: 'LNX-CG-BLKIO-leafWeight', anchor: 'block-io', what: 'blockIO.leafWeight sets the leaf weight', controller: 'blkio', file: 'blkio.leaf_weight', resources: { blockIO: { leafWeight: 300 } }, want: '300' },
  { id: 'LNX-CG-NET-classID', anchor: 'network', what: 'network.classID tags the cgroup traffic', controller: 'net_cls', file: 'net_cls.classid', resources: { network: { classID: 1048577 } }, want: '1048577' },
  {
    id: 'LNX-CG-NET-priorities',
    anchor: 'network',
    what: 'network.priorities set per-interface priorities',
    controller: 'net_prio',
    file: 'net_prio.ifpriomap',
    resources: { network: { priorities: [{ name: 'lo', priority: 7 }] } },
    want: (v) => expect(v.split('\n')).toContain('lo 7'),
  },
  { id: 'LNX-CG-HUGETLB-limit', anchor: 'huge-page-limits', what: 'hugepageLimits set the HugeTLB limit per page size', controller: 'hugetlb', file: 'hugetlb.2MB.limit_in_bytes', resources: { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] }, want: '4194304' },
];

describe('config-linux.md#control-groups', () => {
  test(spec('config-linux.md#cgroups-path', 'LNX-CG-PATH-001', 'an absolute cgroupsPath is the container cgroup, relative to each cgroup mount'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    const cg = procCgroups(s.pid!);
    for (const controller of ['memory', 'pids', 'cpu', 'devices', 'freezer', 'blkio'].filter((x) => cgroupMounts().has(x))) {
      expect(cg.get(controller), controller).toBe(b.config.linux.cgroupsPath);
    }
  });

  test(spec('config-linux.md#cgroups-path', 'LNX-CG-PATH-002', 'the cgroups named by cgroupsPath are created when they do not exist'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c, x) => (c.linux.cgroupsPath = `${x.cgroupsPath}/deeper/still`) });
    const mem = cgroupMounts().get('memory')!;
    expect(existsSync(join(mem, b.config.linux.cgroupsPath))).toBe(false);
    const s = await h.mustCreate(b);
    expect(existsSync(join(mem, b.config.linux.cgroupsPath))).toBe(true);
    expect(procCgroups(s.pid!).get('memory')).toBe(b.config.linux.cgroupsPath);
  });

  test(spec('config-linux.md#cgroups-path', 'LNX-CG-PATH-003', 'the same cgroupsPath attaches to the same place every time'), async ({ h }) => {
    const path = h.cgroupsPath(h.newId('shared'));
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const b = h.bundle({ args: SLEEP, patch: (c) => (c.linux.cgroupsPath = path) });
      const s = await h.mustCreate(b);
      seen.push(procCgroups(s.pid!).get('memory')!);
      await h.kill(b.id, 'KILL');
      await h.waitStatus(b.id, 'stopped');
      await h.delete(b.id, true);
    }
    expect(seen).toEqual([path, path]);
  });

  for (const c of cases) {
    test(spec(`config-linux.md#${c.anchor}`, c.id, c.what), async ({ h }) => {
      h.requires(cgroupV1File(c.controller, c.file));
      const { read } = await createdWith(h, c.resources);
      const v = read(c.controller, c.file);
      if (typeof c.want === 'string') expect(v).toBe(c.want);
      else c.want(v);
    });
  }

  test(spec('config-linux.md#cpu', 'LNX-CG-CPU-rtRuntime', 'cpu.realtimeRuntime sets the realtime runtime'), async ({ h }) => {
    h.requires(cgroupV1File('cpu', 'cpu.rt_runtime_us'));
    // a child can only get realtime budget its parents have: give the (run-level) parents some first
    const cpu = cgroupMounts().get('cpu')!;
    const parent = h.cgroupsPath('x').split('/').slice(1, -1);
    // The top parent is shared by concurrent runs (each run's own parent below it takes 10000 of
    // its budget, and the kernel refuses children whose sum exceeds it): give it room for several.
    for (let i = 1; i <= parent.length; i++) {
      const dir = join(cpu, ...parent.slice(0, i));
      mkdirSync(dir, { recursive: true });
      const budget = i === 1 && parent.length > 1 ? 100000 : 10000;
      if (Number(readFileSync(join(dir, 'cpu.rt_runtime_us'), 'utf8')) < budget) writeFileSync(join(dir, 'cpu.rt_runtime_us'), String(budget));
    }
    const { read } = await createdWith(h, { cpu: { realtimePeriod: 1000000, realtimeRuntime: 1000 } });
    expect(read('cpu', 'cpu.rt_runtime_us')).toBe('1000');
  });

  const throttles: [string, string, string][] = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device', '1048576'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device', '2097152'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device', '300'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device', '400'],
  ];
  for (const [key, file, rate] of throttles) {
    test(spec('config-linux.md#block-io', `LNX-CG-BLKIO-${key}`, `blockIO.${key} sets the per-device limit`), async ({ h }) => {
      h.requires(cgroupV1File('blkio', file));
      const dev = diskMajMin();
      if (!dev) h.requires(() => 'no block device to throttle on this host');
      const [major, minor] = dev!.split(':').map(Number);
      const { read } = await createdWith(h, { blockIO: { [key]: [{ major, minor, rate: Number(rate) }] } });
      expect(read('blkio', file).split('\n')).toContain(`${dev} ${rate}`);
    });
  }

  test(spec('config-linux.md#block-io', 'LNX-CG-BLKIO-weightDevice', 'blockIO.weightDevice sets a per-device weight'), async ({ h }) => {
    h.requires(cgroupV1File('blkio', 'blkio.weight_device'));
    const dev = diskMajMin()!;
    const [major, minor] = dev.split(':').map(Number);
    const { read } = await createdWith(h, { blockIO: { weightDevice: [{ major, minor, weight: 222 }] } });
    expect(read('blkio', 'blkio.weight_device')).toContain(`${dev} 222`);
  });

  test(spec('config-linux.md#rdma', 'LNX-CG-RDMA', 'rdma limits are set per device'), async ({ h }) => {
    h.requires(cgroupV1('rdma'));
    const { read } = await createdWith(h, { rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } });
    expect(read('rdma', 'rdma.max')).toContain('hca_handle=3');
  });

  test(spec('config-linux.md#unified', 'LNX-CG-UNIFIED-SET', 'unified entries are written to the cgroup v2 files'), async ({ h }) => {
    h.requires(cgroupV2Unified);
    const { read } = await createdWith(h, { unified: { 'pids.max': '33' } });
    expect(read('', 'pids.max')).toBe('33');
  });

  featureTest(CGROUPS, { mustWork: true })(spec('config-linux.md#unified', 'LNX-CG-UNIFIED-ERR', 'unified naming a controller absent from the cgroup v2 hierarchy generates an error'), async ({ h }) => {
    const v2 = cgroupMounts().get('');
    const controllers = v2 && existsSync(join(v2, 'cgroup.controllers')) ? readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/) : [];
    h.requires(() => (controllers.includes('pids') ? 'the pids controller is available in cgroup v2 here' : undefined));
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.linux.resources.unified = { 'pids.max': '10' }) });
    const r = await h.create(b);
    h.expectError(r, /pids\.max|unified|pids/i);
  });

  plainTest(spec('config-linux.md#intelrdt', 'LNX-RDT-001', 'intelRdt places the container in the resctrl group'), async ({ h }) => {
    h.requires(resctrl);
    const b = h.bundle({ args: SLEEP, patch: (c, x) => (c.linux.intelRdt = { closID: x.id }) });
    const s = await h.mustCreate(b);
    expect(readFileSync(`/sys/fs/resctrl/${b.id}/tasks`, 'utf8').split('\n')).toContain(String(s.pid));
  });

  test(spec('config-linux.md#cgroup-ownership', 'LNX-CG-OWNER-v1', 'SHOULD NOT: on cgroup v1 the container cgroup ownership is not changed'), async ({ h }) => {
    h.requires(cgroupV1('memory'));
    const b = h.bundle({
      args: SLEEP,
      patch: (c) => {
        userns(c);
        withNamespace(c, 'cgroup');
        c.process.user = { uid: 0, gid: 0 };
        // a read-write cgroup mount is what would invite a chown under cgroup v2
        for (const m of c.mounts) if (m.destination === '/sys/fs/cgroup') m.options = m.options.filter((o: string) => o !== 'ro');
      },
    });
    const s = await h.mustCreate(b);
    // the container's own cgroup: the host root it might have been left in is root's anyway
    expect(procCgroups(s.pid!).get('memory')).toBe(b.config.linux.cgroupsPath);
    const dir = join(cgroupMounts().get('memory')!, b.config.linux.cgroupsPath);
    expect(statSync(dir).uid).toBe(0);
    expect(statSync(join(dir, 'cgroup.procs')).uid).toBe(0);
  });
});

describe('config-linux.md#memory-policy', () => {
  plainTest(spec('config-linux.md#memory-policy', 'LNX-MEMPOL-001', 'memoryPolicy sets the NUMA policy of the process'), async ({ h }) => {
    h.requires(numa);
    const out = await h.mustProbe('cat /proc/self/numa_maps', (c) => (c.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' }));
    expect(out).toMatch(/ bind:0 /);
  });
});
