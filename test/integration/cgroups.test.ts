// cgroups as a container meets them: limits written (seen from outside in the host's cgroup files,
// and from inside), enforced (a fork loop stops, an allocation past the limit is killed, a denied
// device cannot be opened), pause/resume, kill --all, and nothing left behind. Run on this host's
// layout, and on pure v1 and pure v2 views made in a private mount namespace (unshare -m), where
// the host's own mounts stay untouched.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';
import { cpuList } from '../../lib/cgroups/stats.js';
import { alive, CLI, spawnCollect, useHarness, waitFor, type Patch } from '../support/harness.js';

const h = useHarness('cgroups');
const layout = hostLayout();
const hasV1 = layout.hierarchies.some((x) => x.version === 1);

/** The container's directory in the hierarchy carrying `controller` (its default path). */
function hostDir(id: string, controller: string): string {
  const d = cgroupDirs(layout, undefined, id, ownCgroups).find((x) => x.hierarchy.controllers.includes(controller));
  if (!d) throw new Error(`no ${controller} hierarchy`);
  return d.dir;
}

/** /dev/kmsg: a device any root process may write (a line in the kernel log), none of the defaults. */
const KMSG = { path: '/dev/kmsg', type: 'c', major: 1, minor: 11, fileMode: 0o600 };
const WRITE_KMSG = 'echo ocirun-cgroup-test 2>/dev/null >/dev/kmsg';

const withCgroupns: Patch = (s) => s.linux!.namespaces!.push({ type: 'cgroup' });

describe.skipIf(!hasV1)(`cgroups on this host (${layout.mode})`, () => {
  it('a pids limit is written, seen inside, and stops a fork loop', async () => {
    const id = h.id();
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      withCgroupns(s);
      s.linux!.resources = { pids: { limit: 8 } };
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
      s.process!.args = ['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max > /mark/inside; (for i in 1 2 3 4 5 6 7 8 9 10; do sleep 5 & done) 2>/mark/err; echo > /mark/done; exec sleep 5'];
    });
    expect((await h.cli(['create', '--bundle', bundle, id])).stderr).toBe('');
    expect(readFileSync(join(hostDir(id, 'pids'), 'pids.max'), 'utf8').trim()).toBe('8');
    expect((await h.cli(['start', id])).code).toBe(0);
    expect(await waitFor(() => existsSync(join(mark, 'done')), 10_000)).toBe(true);
    expect(readFileSync(join(mark, 'inside'), 'utf8').trim()).toBe('8');
    expect(readFileSync(join(mark, 'err'), 'utf8')).toMatch(/can't fork|Resource temporarily unavailable/i);
    // The shell (exec'd into sleep) and the 6 sleeps the subshell could fork before the 8th pid.
    expect(Number(readFileSync(join(hostDir(id, 'pids'), 'pids.current'), 'utf8'))).toBe(7);
    const ps = await h.cli(['ps', '--format', 'json', id]);
    expect(JSON.parse(ps.stdout)).toHaveLength(7);
    expect((await h.cli(['delete', '--force', id])).code).toBe(0);
    expect(existsSync(hostDir(id, 'pids'))).toBe(false);
    h.expectClean();
  });

  it('a memory limit kills an allocation past it', async () => {
    const r = await h.sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes; a=$(head -c 67108864 /dev/zero | tr "\\0" x); echo survived', (s) => {
      withCgroupns(s);
      s.linux!.resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
    });
    expect(r.stdout).toBe(`${32 * 1024 * 1024}\n`);
    expect(r.code).toBe(137);
    h.expectClean();
  });

  it('the device rules deny a device the config denies, and keep the default devices usable', async () => {
    const r = await h.sh(`echo x > /dev/null && echo null-ok; ${WRITE_KMSG} 2>/dev/null || echo kmsg-denied`, (s) => {
      s.linux!.devices = [KMSG];
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('null-ok\nkmsg-denied\n');
    // Allowed explicitly (write only), the same device takes the write.
    const allowed = await h.sh(`${WRITE_KMSG} && echo kmsg-written`, (s) => {
      s.linux!.devices = [KMSG];
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }] };
    });
    expect(allowed.stderr).toBe('');
    expect(allowed.stdout).toBe('kmsg-written\n');
    h.expectClean();
  });

  it('pause freezes (a counter stops), resume thaws, state says paused', async () => {
    const id = h.id();
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
      s.process!.args = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /mark/n; sleep 0.02; done'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    expect(await waitFor(() => existsSync(join(mark, 'n')), 10_000)).toBe(true);
    expect((await h.cli(['pause', id])).stderr).toBe('');
    expect(JSON.parse((await h.cli(['state', id])).stdout).status).toBe('paused');
    const frozenAt = readFileSync(join(mark, 'n'), 'utf8');
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(join(mark, 'n'), 'utf8')).toBe(frozenAt);
    const again = await h.cli(['pause', id]);
    expect(again.stderr).toMatch(/cannot pause a container that is paused/);
    expect((await h.cli(['resume', id])).stderr).toBe('');
    expect(await waitFor(() => readFileSync(join(mark, 'n'), 'utf8') !== frozenAt, 5000)).toBe(true);
    expect((await h.cli(['pause', id])).code).toBe(0);
    // delete --force of a paused container.
    expect((await h.cli(['delete', '--force', id])).stderr).toBe('');
    h.expectClean();
  });

  it('kill --all KILL of a paused container thaws it, so it dies; another signal leaves it paused', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sh', '-c', 'trap "" TERM; sleep 100 & wait'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    const pid = JSON.parse((await h.cli(['state', id])).stdout).pid as number;
    expect((await h.cli(['pause', id])).stderr).toBe('');
    expect((await h.cli(['kill', '--all', id, 'TERM'])).stderr).toBe('');
    expect(JSON.parse((await h.cli(['state', id])).stdout).status).toBe('paused');
    // containerd's `task delete --force` sends this, then waits for the init's end.
    expect((await h.cli(['kill', '--all', id, 'KILL'])).stderr).toBe('');
    expect(await waitFor(() => !alive(pid), 5000)).toBe(true);
    expect(JSON.parse((await h.cli(['state', id])).stdout).status).toBe('stopped');
    expect((await h.cli(['delete', id])).code).toBe(0);
    h.expectClean();
  });

  it('kill --all reaches a process outside the container init (no pid namespace)', async () => {
    const id = h.id();
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
      s.process!.args = ['sh', '-c', 'setsid sleep 100 & echo $! > /mark/bg; sleep 100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    expect(await waitFor(() => existsSync(join(mark, 'bg')) && readFileSync(join(mark, 'bg'), 'utf8').trim() !== '', 10_000)).toBe(true);
    const bg = Number(readFileSync(join(mark, 'bg'), 'utf8'));
    expect((await h.cli(['kill', '--all', id, 'KILL'])).stderr).toBe('');
    expect(await waitFor(() => !existsSync(`/proc/${bg}`) || readFileSync(`/proc/${bg}/stat`, 'utf8').includes(') Z'), 5000)).toBe(true);
    expect((await h.cli(['delete', id])).code).toBe(0);
    h.expectClean();
  });

  it('update changes live limits (flags and --resources -), events reports stats and the OOM kill', async () => {
    const id = h.id();
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
      s.linux!.resources = { pids: { limit: 50 }, memory: { limit: 256 * 1024 * 1024, swap: 256 * 1024 * 1024 } };
      // The hog volunteers (oom_score_adj 1000), so the OOM killer never picks the init and ends the container.
      s.process!.args = ['sh', '-c', 'while [ ! -e /mark/go ]; do sleep 0.05; done; (echo 1000 > /proc/self/oom_score_adj; a=$(head -c 67108864 /dev/zero | tr "\\0" x)); sleep 100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).stderr).toBe('');
    const ok = await h.cli(['update', '--pids-limit', '9', '--memory', '32m', '--memory-swap', '32m', '--cpu-share', '512', id]);
    expect(ok.stderr).toBe('');
    expect(readFileSync(join(hostDir(id, 'pids'), 'pids.max'), 'utf8').trim()).toBe('9');
    expect(readFileSync(join(hostDir(id, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(32 * 1024 * 1024));
    expect(readFileSync(join(hostDir(id, 'cpu'), 'cpu.shares'), 'utf8').trim()).toBe('512');
    const viaStdin = await h.cli(['update', '--resources', '-', id], { input: '{"pids":{"limit":11}}' });
    expect(viaStdin.stderr).toBe('');
    expect(readFileSync(join(hostDir(id, 'pids'), 'pids.max'), 'utf8').trim()).toBe('11');
    const bad = await h.cli(['update', '--memory', 'lots', id]);
    expect(bad.stderr).toMatch(/invalid value "lots" for flag --memory/);

    const stats = JSON.parse((await h.cli(['events', '--stats', id])).stdout);
    expect(stats).toMatchObject({ type: 'stats', id, data: { pids: { current: 2, limit: 11 }, memory: { usage: { limit: 32 * 1024 * 1024 } }, intel_rdt: {}, network_interfaces: null } });
    // runc's cpuset stats: the container's cpus and mems as numbers (its cgroup copied the parent's).
    const cpus = readFileSync(join(hostDir(id, 'cpuset'), 'cpuset.cpus'), 'utf8').trim();
    expect(stats.data.cpuset).toMatchObject({ cpus: cpuList(cpus), mems: expect.any(Array), sched_load_balance: expect.any(Number) });
    expect(stats.data.cpuset.cpus.length).toBeGreaterThan(0);
    if (hostDir(id, 'memory').includes('/memory/')) expect(stats.data.memory.kernelTCP).toMatchObject({ limit: expect.any(Number), failcnt: 0 });

    const events = h.cli(['events', '--interval', '10s', id], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    writeFileSync(join(mark, 'go'), '');
    await waitFor(() => Number(/oom_kill (\d+)/.exec(readFileSync(join(hostDir(id, 'memory'), 'memory.oom_control'), 'utf8'))?.[1]) > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const killed = await h.cli(['kill', id, 'KILL']);
    expect({ code: killed.code, stderr: killed.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = (await events).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'stats', id });
    expect(lines.filter((l) => l.type === 'oom')).toEqual([{ type: 'oom', id }]);
    expect((await h.cli(['delete', id])).code).toBe(0);
    h.expectClean();
  });

  it('a failed create leaves no cgroup', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.linux!.resources = { pids: { limit: 10 } };
      s.process!.args = ['/nonexistent'];
    });
    const r = await h.cli(['create', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nonexistent/);
    expect(existsSync(hostDir(id, 'pids'))).toBe(false);
    h.expectClean();
  });

  it('a limit whose controller the host lacks is an error naming the field', async () => {
    const hasNetCls = layout.hierarchies.some((x) => x.controllers.includes('net_cls'));
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.linux!.resources = { network: { classID: 1 } };
    });
    const r = await h.cli(['create', '--bundle', bundle, id]);
    if (hasNetCls) return void (await h.cli(['delete', '--force', id]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/config\.json: \/linux\/resources\/network: the net_cls cgroup controller is not available on this host/);
    h.expectClean();
  });

  it('cgroupsPath: absolute is taken from the mount point; a reused non-empty cgroup is refused', async () => {
    const path = `/ocirun-test-${process.pid}/${h.id('abs')}`;
    const a = h.id();
    const b = h.id();
    const bundle = h.bundle((s) => {
      s.linux!.cgroupsPath = path;
      s.linux!.resources = { pids: { limit: 5 } };
      s.process!.args = ['sleep', '100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, a])).stderr).toBe('');
    const pidsMount = layout.hierarchies.find((x) => x.controllers.includes('pids'))!.mount;
    expect(readFileSync(`${pidsMount}${path}/pids.max`, 'utf8').trim()).toBe('5');
    const second = await h.cli(['create', '--bundle', bundle, b]);
    expect(second.stderr).toMatch(new RegExp(`cgroup ${pidsMount.replace(/\//g, '\\/')}${path.replace(/\//g, '\\/')} is not empty|is not empty`));
    expect((await h.cli(['delete', '--force', a])).code).toBe(0);
    // Both levels were made by create, both removed by delete.
    expect(existsSync(`${pidsMount}/ocirun-test-${process.pid}`)).toBe(false);
    h.expectClean();
  });

  it('delete of a stopped container removes a cgroup left below its own in one hierarchy, and the rest', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['true'];
    });
    expect((await h.cli(['create', '--bundle', bundle, id])).stderr).toBe('');
    expect((await h.cli(['start', id])).code).toBe(0);
    expect(await waitFor(async () => JSON.parse((await h.cli(['state', id])).stdout).status === 'stopped', 5000)).toBe(true);
    // Empty, and in the memory hierarchy only: the usual one rmdir per directory fails there, after
    // the hierarchies removed before it.
    const sub = join(hostDir(id, 'memory'), 'left');
    mkdirSync(sub);
    try {
      const del = await h.cli(['delete', id]);
      expect({ code: del.code, stderr: del.stderr }).toEqual({ code: 0, stderr: '' });
      for (const controller of ['memory', 'pids', 'cpu']) expect(existsSync(hostDir(id, controller))).toBe(false);
    } finally {
      if (existsSync(sub)) rmdirSync(sub);
    }
    h.expectClean();
  });

  it('deleting a container whose create made the parent leaves a sibling under that parent alone', async () => {
    const parent = `/ocirun-test-${process.pid}-shared`;
    const pidsMount = layout.hierarchies.find((x) => x.controllers.includes('pids'))!.mount;
    const [a, b] = [h.id(), h.id()];
    const bundleFor = (leaf: string) =>
      h.bundle((s) => {
        s.linux!.cgroupsPath = `${parent}/${leaf}`;
        s.linux!.resources = { pids: { limit: 5 } };
        s.process!.args = ['sleep', '100'];
      });
    try {
      // a makes the parent, b only its own leaf below it
      expect((await h.cli(['run', '--detach', '--bundle', bundleFor('a'), a])).stderr).toBe('');
      expect((await h.cli(['run', '--detach', '--bundle', bundleFor('b'), b])).stderr).toBe('');
      const del = await h.cli(['delete', '--force', a]);
      expect({ code: del.code, stderr: del.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse((await h.cli(['state', b])).stdout).status).toBe('running');
      expect(readFileSync(`${pidsMount}${parent}/b/pids.max`, 'utf8').trim()).toBe('5');
      expect(existsSync(`${pidsMount}${parent}/a`)).toBe(false);
      expect((await h.cli(['delete', '--force', b])).code).toBe(0);
    } finally {
      // The containers first (a failed assertion leaves them): the parent goes only when empty.
      for (const id of [a, b]) await h.cli(['delete', '--force', id]);
      for (const hier of layout.hierarchies) {
        try {
          rmdirSync(`${hier.mount}${parent}`);
        } catch {
          // not made there, or already gone
        }
      }
    }
    h.expectClean();
  });

  it('delete kills a process that sits in one hierarchy of the stopped container only, and removes every cgroup', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sleep', '100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).stderr).toBe('');
    // A process of the host's in the container's pids cgroup alone (as a create killed midway leaves one).
    const stray = spawn('sleep', ['100'], { stdio: 'ignore' });
    try {
      writeFileSync(join(hostDir(id, 'pids'), 'cgroup.procs'), String(stray.pid));
      expect((await h.cli(['kill', id, 'KILL'])).stderr).toBe('');
      expect(await waitFor(async () => JSON.parse((await h.cli(['state', id])).stdout).status === 'stopped', 5000)).toBe(true);
      const del = await h.cli(['delete', id]);
      expect({ code: del.code, stderr: del.stderr }).toEqual({ code: 0, stderr: '' });
      // Killed by delete (SIGKILL), not left to run out its 100 s.
      expect(await waitFor(() => stray.signalCode !== null, 5000)).toBe(true);
      expect(stray.signalCode).toBe('SIGKILL');
      for (const x of layout.hierarchies) expect(existsSync(cgroupDirs(layout, undefined, id, ownCgroups).find((d) => d.hierarchy === x)!.dir)).toBe(false);
    } finally {
      stray.kill('SIGKILL');
    }
    h.expectClean();
  });

  it('systemd cgroupsPath is refused clearly (no systemd here)', async () => {
    const r = await h.sh('true', (s) => {
      s.linux!.cgroupsPath = 'system.slice:ocirun:x';
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cgroupsPath "system\.slice:ocirun:x" is systemd's slice:prefix:name form/);
  });
});

/** The CLI in a private mount namespace where `setup` reshapes /sys/fs/cgroup first. */
function inView(setup: string, args: string[]) {
  return spawnCollect('unshare', ['-m', 'sh', '-c', `${setup} && exec "$@"`, 'sh', process.execPath, CLI, '--root', h.root, ...args]);
}

const PURE_V1 = 'umount /sys/fs/cgroup/unified';
const PURE_V2 = 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup';

describe.skipIf(layout.mode !== 'hybrid')('pure v1 and pure v2 views of this hybrid host', () => {
  it('pure v1: limits applied and enforced, delete leaves nothing', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      withCgroupns(s);
      s.linux!.resources = { pids: { limit: 4 }, devices: [{ allow: false, access: 'rwm' }] };
      s.process!.args = ['sh', '-c', 'ls /sys/fs/cgroup | tr "\\n" " "; echo; cat /sys/fs/cgroup/pids/pids.max; for i in 1 2 3 4 5; do sleep 1 & done 2>&1 | head -1'];
    });
    const r = await inView(PURE_V1, ['run', '--bundle', bundle, id]);
    expect(r.stdout.split('\n')[0]).not.toContain('unified');
    expect(r.stdout.split('\n')[1]).toBe('4');
    expect(r.stdout).toMatch(/can't fork/);
    h.expectClean();
  });

  it('pure v2: devices through the eBPF program, pause through cgroup.freeze, absent controllers refused', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      withCgroupns(s);
      s.linux!.devices = [KMSG];
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
      s.process!.args = ['sh', '-c', `grep ^0:: /proc/self/cgroup; echo x > /dev/null && echo null-ok; ${WRITE_KMSG} 2>/dev/null || echo kmsg-denied`];
    });
    const r = await inView(PURE_V2, ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0::/\nnull-ok\nkmsg-denied\n');
    const open = await inView(PURE_V2, ['run', '--bundle', h.bundle((s) => {
      s.linux!.devices = [KMSG];
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }] };
      s.process!.args = ['sh', '-c', `${WRITE_KMSG} && echo kmsg-written`];
    }), h.id()]);
    expect(open.stdout).toBe('kmsg-written\n');

    const p = h.id();
    const sleeper = h.bundle((s) => {
      s.process!.args = ['sleep', '100'];
    });
    expect((await inView(PURE_V2, ['run', '--detach', '--bundle', sleeper, p])).stderr).toBe('');
    expect((await inView(PURE_V2, ['pause', p])).stderr).toBe('');
    expect(JSON.parse((await inView(PURE_V2, ['state', p])).stdout).status).toBe('paused');
    expect((await inView(PURE_V2, ['resume', p])).code).toBe(0);
    expect((await inView(PURE_V2, ['kill', '--all', p, 'KILL'])).stderr).toBe('');
    expect(await waitFor(async () => JSON.parse((await inView(PURE_V2, ['state', p])).stdout).status === 'stopped', 5000)).toBe(true);
    expect((await inView(PURE_V2, ['delete', p])).code).toBe(0);

    const refused = h.bundle((s) => {
      s.linux!.resources = { pids: { limit: 4 } };
    });
    const q = h.id();
    const e = await inView(PURE_V2, ['run', '--bundle', refused, q]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toMatch(/\/linux\/resources\/pids: the pids cgroup controller is not available on this host \(cgroup v2\)/);
    h.expectClean();
  });
});

