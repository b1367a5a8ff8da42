// exec --cgroup (runc's syntax and errors) on this host's layout and on pure v1 and v2 views, and
// what sub-cgroups mean for ps, kill --all and delete: their processes are the container's, and
// delete removes them with the container's cgroups.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';
import { CLI, spawnCollect, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('cgroups-exec');
const layout = hostLayout();
const hasV1 = layout.hierarchies.some((x) => x.version === 1);

const dirsOf = (id: string) => cgroupDirs(layout, undefined, id, ownCgroups);
function hostDir(id: string, controller: string): string {
  const d = dirsOf(id).find((x) => x.hierarchy.controllers.includes(controller));
  if (!d) throw new Error(`no ${controller} hierarchy`);
  return d.dir;
}

/** A v1 cpuset cgroup takes no process until it has cpus and mems: its parent's. */
function makeSubCgroup(dir: string): void {
  mkdirSync(dir);
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if (existsSync(join(dir, f))) writeFileSync(join(dir, f), readFileSync(join(dirname(dir), f), 'utf8').trim());
  }
}

/** /proc/self/cgroup as controller → path ('' for the unified hierarchy). */
const cgroupsOf = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => [l.split(':')[1], l.split(':').slice(2).join(':')]));

const sleeper = () =>
  h.bundle((s) => {
    s.linux!.namespaces!.push({ type: 'cgroup' });
    s.process!.args = ['sleep', '100'];
  });

describe.skipIf(!hasV1)(`exec --cgroup on this host (${layout.mode})`, () => {
  it('joins sub-cgroups by controller, keeps the rest at the container\'s cgroup; runc\'s errors for bad ones', async () => {
    const id = h.id();
    expect((await h.cli(['run', '--detach', '--bundle', sleeper(), id])).stderr).toBe('');
    mkdirSync(join(hostDir(id, 'memory'), 'submem'));
    mkdirSync(join(hostDir(id, 'cpu'), 'subcpu'));
    mkdirSync(join(hostDir(id, 'cpuacct'), 'subcpu'));

    const r = await h.cli(['exec', '--cgroup', 'memory:submem', '--cgroup', 'cpu,cpuacct:subcpu', id, 'cat', '/proc/self/cgroup']);
    expect(r.stderr).toBe('');
    expect(cgroupsOf(r.stdout)).toMatchObject({ memory: '/submem', cpu: '/subcpu', cpuacct: '/subcpu', pids: '/', devices: '/', freezer: '/' });
    const top = await h.cli(['exec', '--cgroup', '/', id, 'cat', '/proc/self/cgroup']);
    expect(Object.values(cgroupsOf(top.stdout)).every((p) => p === '/')).toBe(true);

    const fails = async (args: string[], message: RegExp) => {
      const e = await h.cli(['exec', ...args, id, 'true']);
      expect({ code: e.code, stderr: e.stderr }).toEqual({ code: 255, stderr: expect.stringMatching(message) });
    };
    await fails(['--cgroup', '..'], /bad sub cgroup path: \.\./);
    await fails(['--cgroup', 'memory:../../x'], /bad sub cgroup path: \.\.\/\.\.\/x/);
    await fails(['--cgroup', 'nonexistent'], /error adding pid to cgroups: open \/sys\/fs\/cgroup\/\S+\/nonexistent\/cgroup\.procs: no such file or directory/);
    await fails(['--cgroup', 'cpu:nonexistent'], new RegExp(`error adding pid to cgroups: open ${hostDir(id, 'cpu')}/nonexistent/cgroup\\.procs: no such file or directory`));
    await fails(['--cgroup', 'whaaat:/'], /unknown controller whaaat in --cgroup argument/);
    await fails(['--cgroup', 'a', '--cgroup', 'b'], /invalid --cgroup argument: a \(missing <controller>: prefix\)/);
    await fails(['--cgroup', 'memory:a', '--cgroup', 'memory,cpu:b'], /invalid --cgroup argument\(s\): controller memory specified multiple times/);
    await fails(['--cgroup', ',cpu:a'], /invalid --cgroup argument: ,cpu:a \(empty <controller> prefix\)/);
    expect((await h.cli(['delete', '--force', id])).stderr).toBe('');
    h.expectClean();
  });

  it('a process in a sub-cgroup of every hierarchy is listed by ps, reached by kill --all, and delete removes the sub-cgroups', async () => {
    const id = h.id();
    expect((await h.cli(['run', '--detach', '--bundle', sleeper(), id])).stderr).toBe('');
    for (const d of dirsOf(id)) makeSubCgroup(join(d.dir, 'all'));
    const pidFile = join(h.dir('pid'), 'pid');
    expect((await h.cli(['exec', '--detach', '--pid-file', pidFile, '--cgroup', 'all', id, 'sleep', '100'])).stderr).toBe('');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) expect(line).toMatch(/\/all$/);
    expect(JSON.parse((await h.cli(['ps', '--format', 'json', id])).stdout)).toContain(pid);
    expect((await h.cli(['kill', '--all', id, 'KILL'])).stderr).toBe('');
    expect(await waitFor(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), 5000)).toBe(true);
    expect(await waitFor(async () => JSON.parse((await h.cli(['state', id])).stdout).status === 'stopped', 5000)).toBe(true);
    expect((await h.cli(['delete', id])).stderr).toBe('');
    h.expectClean();
    // delete --force of a running container with a busy sub-cgroup (and one nested deeper).
    const id2 = h.id();
    expect((await h.cli(['run', '--detach', '--bundle', sleeper(), id2])).stderr).toBe('');
    for (const d of dirsOf(id2)) {
      makeSubCgroup(join(d.dir, 'a'));
      makeSubCgroup(join(d.dir, 'a', 'b'));
    }
    expect((await h.cli(['exec', '--detach', '--cgroup', 'a/b', id2, 'sleep', '100'])).stderr).toBe('');
    expect((await h.cli(['delete', '--force', id2])).stderr).toBe('');
    h.expectClean();
  });

  it('an existing cgroup with a process only in a sub-cgroup is not empty (runc counts every process below it)', async () => {
    const path = `/ocirun-test-${process.pid}/${h.id('subbusy')}`;
    const a = h.id();
    const bundle = h.bundle((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      s.linux!.cgroupsPath = path;
      s.process!.args = ['sleep', '100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, a])).stderr).toBe('');
    const dirs = layout.hierarchies.map((x) => `${x.mount}${path}`);
    for (const d of dirs) makeSubCgroup(join(d, 'x'));
    expect((await h.cli(['exec', '--detach', '--cgroup', 'x', a, 'sleep', '100'])).stderr).toBe('');
    // The container's init goes; the exec'd process stays in the sub-cgroup.
    const init = JSON.parse((await h.cli(['state', a])).stdout).pid as number;
    process.kill(init, 'SIGKILL');
    expect(await waitFor(async () => JSON.parse((await h.cli(['state', a])).stdout).status === 'stopped', 5000)).toBe(true);
    const b = await h.cli(['create', '--bundle', bundle, h.id()]);
    expect(b.stderr).toMatch(/cgroup \/sys\/fs\/cgroup\/\S+ is not empty: 1 process\(es\) in it or below it/);
    expect((await h.cli(['delete', '--force', a])).stderr).toBe('');
    for (const d of dirs) expect(existsSync(d)).toBe(false);
    h.expectClean();
  });

  it('exec into a paused container is refused as runc refuses it, unless --ignore-paused (the process runs once resumed)', async () => {
    const id = h.id();
    const mark = h.dir('mark');
    const bundle = h.bundle((s) => {
      s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
      s.process!.args = ['sleep', '100'];
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).stderr).toBe('');
    expect((await h.cli(['pause', id])).stderr).toBe('');
    const refused = await h.cli(['exec', id, 'true']);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 255, stderr: expect.stringMatching(/cannot exec in a paused container \(use --ignore-paused to override\)/) });
    const frozen = h.cli(['exec', '--ignore-paused', id, 'sh', '-c', 'echo ran > /mark/ran']);
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(join(mark, 'ran'))).toBe(false);
    expect((await h.cli(['resume', id])).stderr).toBe('');
    expect((await frozen).code).toBe(0);
    expect(readFileSync(join(mark, 'ran'), 'utf8')).toBe('ran\n');
    expect((await h.cli(['delete', '--force', id])).stderr).toBe('');
    h.expectClean();
  });
});

function inView(setup: string, args: string[]) {
  return spawnCollect('unshare', ['-m', 'sh', '-c', `${setup} && exec "$@"`, 'sh', process.execPath, CLI, '--root', h.root, ...args]);
}
const PURE_V1 = 'umount /sys/fs/cgroup/unified';
const PURE_V2 = 'umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup';

describe.skipIf(layout.mode !== 'hybrid')('exec --cgroup on pure v1 and pure v2 views of this hybrid host', () => {
  it('pure v1: a controller\'s sub-cgroup', async () => {
    const id = h.id();
    expect((await inView(PURE_V1, ['run', '--detach', '--bundle', sleeper(), id])).stderr).toBe('');
    mkdirSync(join(hostDir(id, 'pids'), 'sub'));
    const r = await inView(PURE_V1, ['exec', '--cgroup', 'pids:sub', id, 'cat', '/proc/self/cgroup']);
    expect(r.stderr).toBe('');
    expect(cgroupsOf(r.stdout)).toMatchObject({ pids: '/sub', memory: '/' });
    expect((await inView(PURE_V1, ['delete', '--force', id])).stderr).toBe('');
    h.expectClean();
  });

  it('pure v2: one path, no controller prefix; a missing one is runc\'s error', async () => {
    const id = h.id();
    expect((await inView(PURE_V2, ['run', '--detach', '--bundle', sleeper(), id])).stderr).toBe('');
    const unified = dirsOf(id).find((d) => d.hierarchy.version === 2)!.dir;
    mkdirSync(join(unified, 'sub'));
    const r = await inView(PURE_V2, ['exec', '--cgroup', 'sub', id, 'cat', '/proc/self/cgroup']);
    expect(r.stderr).toBe('');
    expect(cgroupsOf(r.stdout)['']).toBe('/sub');
    const prefixed = await inView(PURE_V2, ['exec', '--cgroup', 'memory:sub', id, 'true']);
    expect(prefixed.stderr).toMatch(/invalid --cgroup argument: controller memory: cgroup v2 has a single hierarchy/);
    const missing = await inView(PURE_V2, ['exec', '--cgroup', 'nope', id, 'true']);
    expect(missing.stderr).toMatch(/error adding pid to cgroups: open \/sys\/fs\/cgroup\/\S*nope\/cgroup\.procs: no such file or directory/);
    expect((await inView(PURE_V2, ['delete', '--force', id])).stderr).toBe('');
    h.expectClean();
  });
});
