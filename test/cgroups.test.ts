// lib/cgroups without root: layout detection, cgroupsPath resolution, the files each resource
// turns into on v1 and v2 (with runc's conversions), refusals, and the device program's code.
import { describe, expect, it } from 'vitest';
import { readCgroupMounts } from '../lib/host/host.js';
import { cgroupLayout, ownCgroups, type CgroupLayout } from '../lib/cgroups/layout.js';
import { cgroupDirs, cgroupPathOf } from '../lib/cgroups/path.js';
import { cgroupSettings } from '../lib/cgroups/resources.js';
import { deviceRules, v1DeviceLines } from '../lib/cgroups/devices.js';
import { deviceProgram } from '../lib/cgroups/device-program.js';
import { blkioToIoWeight, sharesToWeight } from '../lib/cgroups/v2.js';

const line = (n: number, mp: string, fs: string, opts: string) => `${n} 1 0:${n} / ${mp} rw,relatime - ${fs} ${fs === 'cgroup2' ? 'cgroup2' : 'cgroup'} ${opts}`;
const HYBRID = [
  line(30, '/sys/fs/cgroup', 'tmpfs', 'rw'),
  line(31, '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'),
  line(32, '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
  line(33, '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'),
  line(34, '/sys/fs/cgroup/devices', 'cgroup', 'rw,devices'),
  line(35, '/sys/fs/cgroup/systemd', 'cgroup', 'rw,name=systemd'),
  line(36, '/sys/fs/cgroup/unified', 'cgroup2', 'rw'),
].join('\n');
const V2 = line(30, '/sys/fs/cgroup', 'cgroup2', 'rw');
const offered = (list: string) => () => list.split(' ').filter(Boolean);

const hybrid = cgroupLayout(readCgroupMounts(HYBRID), offered('hugetlb'));
const v1 = cgroupLayout(readCgroupMounts(HYBRID.split('\n').slice(0, -1).join('\n')), offered(''));
const v2 = cgroupLayout(readCgroupMounts(V2), offered('cpu memory pids io cpuset hugetlb'));

describe('layout', () => {
  it('tells v1, v2 and hybrid apart as runc does', () => {
    expect(hybrid.mode).toBe('hybrid');
    expect(v1.mode).toBe('v1');
    expect(v2.mode).toBe('v2');
    expect(hybrid.hierarchies.map((h) => h.mount)).toEqual(['cpu', 'memory', 'pids', 'devices', 'systemd', 'unified'].map((n) => `/sys/fs/cgroup/${n}`));
    expect(hybrid.hierarchies.at(-1)).toEqual({ mount: '/sys/fs/cgroup/unified', version: 2, controllers: ['hugetlb'] });
    expect(cgroupLayout(readCgroupMounts(''), offered('')).mode).toBe('none');
  });

  it('reads its own cgroups from /proc/self/cgroup', () => {
    const own = ownCgroups('4:memory:/a/b\n1:cpu,cpuacct:/\n0::/u\n');
    expect(own.v1.get('memory')).toBe('/a/b');
    expect(own.v1.get('cpuacct')).toBe('/');
    expect(own.unified).toBe('/u');
  });
});

describe('cgroupsPath', () => {
  const own = () => ownCgroups('2:memory:/mine\n1:cpu:/\n0::/');
  it('absent: <own cgroup>/<id>; relative: below the own cgroup; absolute: below the mount', () => {
    expect(cgroupDirs(hybrid, undefined, 'ctr', own).map((d) => d.dir).slice(0, 2)).toEqual(['/sys/fs/cgroup/cpu/ctr', '/sys/fs/cgroup/memory/mine/ctr']);
    expect(cgroupDirs(hybrid, 'x/y', 'ctr', own)[1]!.dir).toBe('/sys/fs/cgroup/memory/mine/x/y');
    expect(cgroupDirs(hybrid, '/abs/p', 'ctr', own)[1]!.dir).toBe('/sys/fs/cgroup/memory/abs/p');
    expect(cgroupDirs(v2, '/abs/p', 'ctr', own)[0]!.dir).toBe('/sys/fs/cgroup/abs/p');
  });
  it('".." cannot climb out; the root and the systemd form are refused', () => {
    expect(cgroupPathOf('../../etc', 'x')).toEqual({ path: 'etc', relative: true });
    expect(cgroupPathOf('/a/../../b', 'x')).toEqual({ path: '/b', relative: false });
    expect(() => cgroupPathOf('/', 'x')).toThrow(/names the root of the hierarchy/);
    expect(() => cgroupPathOf('system.slice:docker:abc', 'x')).toThrow(/systemd's slice:prefix:name form/);
  });
});

const files = (layout: CgroupLayout, r: Parameters<typeof cgroupSettings>[0]) => cgroupSettings(r, layout).writes.map((w) => `${w.mount.replace('/sys/fs/cgroup', '')}/${w.file}=${w.value}`);

describe('resources → files', () => {
  it('v1: one hierarchy per controller', () => {
    expect(files(v1, { memory: { limit: 100, reservation: 50, disableOOMKiller: true }, pids: { limit: 0 }, cpu: { shares: 512, quota: 5000, period: 10000 } })).toEqual([
      '/memory/memory.limit_in_bytes=100',
      '/memory/memory.soft_limit_in_bytes=50',
      '/memory/memory.oom_control=1',
      '/cpu/cpu.shares=512',
      '/cpu/cpu.cfs_period_us=10000',
      '/cpu/cpu.cfs_quota_us=5000',
      '/pids/pids.max=0',
    ]);
  });
  it('v2: unified files with runc conversions', () => {
    expect(sharesToWeight(1024)).toBe(39);
    expect(blkioToIoWeight(500)).toBe(4950);
    expect(files(v2, { memory: { limit: 100, swap: 300 }, cpu: { shares: 1024, quota: -1, period: 100000 }, pids: { limit: -1 }, blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 10 }] } })).toEqual([
      '/memory.swap.max=200',
      '/memory.max=100',
      '/cpu.weight=39',
      '/cpu.max=max 100000',
      '/pids.max=max',
      '/io.weight=default 4950',
      '/io.max=8:0 rbps=10',
    ]);
    expect(cgroupSettings({ memory: { limit: 1 }, pids: { limit: 2 } }, v2).enable).toEqual(['memory', 'pids']);
  });
  it('hybrid: a controller only the unified hierarchy has is driven the v2 way', () => {
    const s = cgroupSettings({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] }, hybrid);
    if (s.writes.length) expect(s.writes[0]).toMatchObject({ mount: '/sys/fs/cgroup/unified', file: 'hugetlb.2MB.max', value: '4194304' });
    expect(() => cgroupSettings({ hugepageLimits: [{ pageSize: '2MiB', limit: 1 }] }, hybrid)).toThrow(/pageSize: "2MiB" is not a page size/);
  });
  it('refuses what the host or the version cannot apply, naming the field', () => {
    expect(() => cgroupSettings({ network: { classID: 1 } }, v1)).toThrow('config.json: /linux/resources/network: the net_cls cgroup controller is not available on this host (cgroup v1)');
    expect(() => cgroupSettings({ memory: { kernel: 1 } }, v2)).toThrow('/linux/resources/memory/kernel: cgroup v2 has no kernel memory limit');
    expect(() => cgroupSettings({ memory: { swap: 10 } }, v2)).toThrow(/memory\/swap: cgroup v2 cannot limit swap without a memory limit/);
    expect(() => cgroupSettings({ cpu: { realtimeRuntime: 1 } }, v2)).toThrow(/cpu\/realtimeRuntime: cgroup v2 has no real-time CPU budget/);
    expect(() => cgroupSettings({ unified: { 'memory.high': '1' } }, v1)).toThrow(/\/linux\/resources\/unified: unified keys need cgroup v2/);
    expect(() => cgroupSettings({ unified: { 'cgroup.procs': '1' } }, v2)).toThrow(/cgroup.procs is the runtime's to manage/);
    expect(() => cgroupSettings({ unified: { '../x.y': '1' } }, v2)).toThrow(/is not a cgroup file name/);
    expect(files(v2, { unified: { 'memory.high': '5', 'cgroup.max.depth': '2' } })).toEqual(['/memory.high=5', '/cgroup.max.depth=2']);
  });
});

describe('device rules', () => {
  it('v1: the config order, then the default devices and mknod of linux.devices', () => {
    const rules = deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'a', major: 1, access: 'r' }], [{ path: '/dev/x', type: 'b', major: 8, minor: 1 }]);
    const lines = v1DeviceLines(rules).map((l) => `${l.file} ${l.line}`);
    expect(lines.slice(0, 3)).toEqual(['devices.deny a', 'devices.allow c 1:* r', 'devices.allow b 1:* r']);
    expect(lines).toContain('devices.allow c 1:3 rwm');
    expect(lines.at(-1)).toBe('devices.allow b 8:1 m');
    expect(deviceRules(undefined)).toEqual([]);
    expect(() => deviceRules([{ allow: true, access: 'rx' }])).toThrow('/linux/resources/devices/0/access: "rx" is not a combination of r, w and m');
  });
  it('v2: an eBPF program, the last matching rule deciding', () => {
    const prog = deviceProgram(deviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }]));
    expect(prog.length % 8).toBe(0);
    // Ends in the wildcard's verdict (deny: r0 = 0; exit).
    expect([...prog.subarray(-16)]).toEqual([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    // Without a wildcard the fallback allows.
    expect([...deviceProgram([{ allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' }]).subarray(-16, -8)]).toEqual([0xb7, 0, 0, 0, 1, 0, 0, 0]);
  });
});

describe('cpuset lists in stats', () => {
  it('ranges and single ids, as runc reports them', async () => {
    const { cpuList } = await import('../lib/cgroups/stats.js');
    expect(cpuList('0-2,4,7-8\n')).toEqual([0, 1, 2, 4, 7, 8]);
    expect(cpuList('')).toEqual([]);
    expect(cpuList('3')).toEqual([3]);
  });
});
