// runtime.md#lifecycle, #errors, #operations: create/start/kill/delete, their errors, and what
// each step must and must not do, observed from the host and through a bind-mounted /out dir.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, describeResult, expect, featureTest, spec, test } from '../harness/harness.js';
import { CGROUPS } from '../harness/feature-catalog.js';
import { cgroupMounts, mountAt, parseMountinfo, pidAlive, readProc } from '../harness/host.js';
import { bind, tmpfs } from '../harness/patches.js';
import { command } from '../harness/requires.js';
import { execFileSync } from 'node:child_process';

const SLEEP = ['sleep', '600'];

function cgroupDirs(path: string): string[] {
  return [...new Set(cgroupMounts().values())].map((m) => join(m, path)).filter((d) => existsSync(d));
}

describe('runtime.md#lifecycle', () => {
  test(spec('runtime.md#scope-of-a-container', 'RT-SCOPE-001', 'the caller that created a container can use every operation on it'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustState(b.id);
    await h.mustStart(b.id);
    const k = await h.kill(b.id, 'KILL');
    expect(k.code, describeResult(k)).toBe(0);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    const d = await h.delete(b.id);
    expect(d.code, describeResult(d)).toBe(0);
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-001', 'step 2: create builds the environment from config.json (a configured mount exists before start)'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => tmpfs(c, '/cfgmark', ['size=2048k']) });
    const s = await h.mustCreate(b);
    const m = mountAt(parseMountinfo(readProc(s.pid!, 'mountinfo')), '/cfgmark');
    expect(m?.fstype).toBe('tmpfs');
    expect(m?.superOptions).toContain('size=2048k');
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-002', 'step 2: an environment that cannot be created generates an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => c.mounts.push({ destination: '/x', type: 'no-such-fs-type', source: 'none' }) });
    const r = await h.create(b);
    h.expectError(r, /no-such-fs-type|no such device/i);
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-003', 'step 2: the user-specified program is not run by create'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({ args: ['sh', '-c', 'echo ran >> /out/ran'], patch: (c) => bind(c, out, '/out') });
    await h.mustCreate(b);
    await sleep(500);
    expect(existsSync(join(out, 'ran'))).toBe(false);
    await h.mustStart(b.id);
    expect(await h.waitFile(join(out, 'ran'))).toBe('ran\n');
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-004', 'step 2: updates to config.json after create do not affect the container'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({ args: ['sh', '-c', 'echo original > /out/which'], patch: (c) => bind(c, out, '/out') });
    await h.mustCreate(b);
    b.config.process.args = ['sh', '-c', 'echo changed > /out/which'];
    b.save();
    await h.mustStart(b.id);
    expect(await h.waitFile(join(out, 'which'))).toBe('original\n');
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-005', 'step 8: start runs the program as specified by process (args, env, cwd)'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({
      args: ['sh', '-c', 'echo "$0|$1|$FOO|$(pwd)" > /out/p', 'arg0', 'arg1'],
      patch: (c) => {
        bind(c, out, '/out');
        c.process.env.push('FOO=bar');
        c.process.cwd = '/bin';
      },
    });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitFile(join(out, 'p'))).toBe('arg0|arg1|bar|/bin\n');
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-006', 'step 12: delete destroys the container (process, state and cgroup are gone)'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(cgroupDirs(b.config.linux.cgroupsPath).length).toBeGreaterThan(0);
    await h.mustStart(b.id);
    await h.kill(b.id, 'KILL');
    await h.waitStatus(b.id, 'stopped');
    const d = await h.delete(b.id);
    expect(d.code, describeResult(d)).toBe(0);
    expect((await h.state(b.id)).r.code).not.toBe(0);
    for (let i = 0; i < 400 && pidAlive(s.pid!); i++) await sleep(50);
    expect(pidAlive(s.pid!)).toBe(false);
    expect(cgroupDirs(b.config.linux.cgroupsPath)).toEqual([]);
  });
});

describe('runtime.md#errors', () => {
  test(spec('runtime.md#errors', 'RT-ERR-001', 'a failed create leaves the environment as if never attempted (no state, no cgroup, ID free)'), async ({ h }) => {
    const bad = h.bundle({ args: SLEEP, patch: (c) => c.mounts.push({ destination: '/x', type: 'no-such-fs-type', source: 'none' }) });
    const r = await h.create(bad);
    h.expectError(r, /no-such-fs-type|no such device/i);
    expect((await h.state(bad.id)).r.code).not.toBe(0);
    expect(cgroupDirs(bad.config.linux.cgroupsPath)).toEqual([]);
    const good = h.bundle({ args: SLEEP, id: bad.id });
    await h.mustCreate(good);
  });
});

describe('runtime.md#create', () => {
  test(spec('runtime.md#create', 'RT-CREATE-001', 'create without a container ID generates an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const r = await h.cli(['create', '--bundle', b.dir]);
    h.expectError(r, /\bid\b|argument|usage/i);
  });

  test(spec('runtime.md#create', 'RT-CREATE-002', 'create without a bundle path (cwd is not a bundle) generates an error'), async ({ h }) => {
    const id = h.newId();
    const empty = h.mkdir('not-a-bundle');
    const r = await h.create(h.bundle({ id }), { id, bundleArg: null, cwd: empty });
    h.expectError(r, /config\.json/);
    expect((await h.state(id)).r.code).not.toBe(0);
  });

  test(spec('runtime.md#create', 'RT-CREATE-003', 'create with an ID already in use generates an error and leaves the existing container alone'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const first = await h.mustCreate(b);
    const again = h.bundle({ args: SLEEP, id: b.id });
    const r = await h.create(again);
    h.expectError(r, /exist/i);
    const now = await h.mustState(b.id);
    expect(now.status).toBe('created');
    expect(now.pid).toBe(first.pid);
    expect(now.bundle).toBe(first.bundle);
  });

  test(spec('runtime.md#create', 'RT-CREATE-004', 'create with an invalid ID generates an error and creates nothing'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const r = await h.create(b, { id: '../escape' });
    h.expectError(r, /\.\.\/escape|\bid\b/i);
    expect(existsSync(join(h.root, '..', 'escape'))).toBe(false);
    expect((await h.state('../escape')).r.code).not.toBe(0);
  });

  test(spec('runtime.md#create', 'RT-CREATE-005', 'create creates a new container that state then reports'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    expect((await h.state(b.id)).r.code).not.toBe(0);
    await h.mustCreate(b);
    expect((await h.mustState(b.id)).id).toBe(b.id);
  });

  test(spec('runtime.md#create', 'RT-CREATE-006', 'create applies non-process properties: hostname is set before start'), async ({ h }) => {
    h.requires(command('/usr/bin/nsenter'));
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.hostname = 'before-start') });
    const s = await h.mustCreate(b);
    const name = execFileSync('/usr/bin/nsenter', ['-t', String(s.pid), '-u', 'hostname'], { encoding: 'utf8' }).trim();
    expect(name).toBe('before-start');
  });

  featureTest(CGROUPS)(spec('runtime.md#create', 'RT-CREATE-007', 'create applies non-process properties: cgroup resources are set before start'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.linux.resources.pids = { limit: 77 }) });
    const s = await h.mustCreate(b);
    const procs = readProc(s.pid!, 'cgroup');
    const pidsPath = /\d+:pids:(.*)/.exec(procs)?.[1];
    // its own cgroup, not the runtime's (whose pids.max would be the host's)
    expect(pidsPath).toBe(b.config.linux.cgroupsPath);
    expect(readFileSync(join(cgroupMounts().get('pids')!, pidsPath!, 'pids.max'), 'utf8').trim()).toBe('77');
  });

  test(spec('runtime.md#create', 'RT-CREATE-008', 'process.args is not applied by create (the created pid is not running the program yet)'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    expect(readProc(s.pid!, 'cmdline').split('\0').filter(Boolean)).not.toEqual(SLEEP);
  });

  test(spec('runtime.md#create', 'RT-CREATE-009', 'a property that cannot be applied generates an error and no container is created'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP, patch: (c) => (c.linux.sysctl = { 'kernel.no_such_sysctl_knob': '1' }) });
    const r = await h.create(b);
    h.expectError(r, /kernel\.no_such_sysctl_knob/);
    expect((await h.state(b.id)).r.code).not.toBe(0);
  });
});

describe('runtime.md#start', () => {
  test(spec('runtime.md#start', 'RT-START-001', 'start without a container ID generates an error'), async ({ h }) => {
    const r = await h.cli(['start']);
    h.expectError(r, /\bid\b|argument|usage/i);
  });

  test(spec('runtime.md#start', 'RT-START-002', 'start of a running container generates an error and has no effect'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({ args: ['sh', '-c', 'echo x >> /out/runs; sleep 600'], patch: (c) => bind(c, out, '/out') });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitFile(join(out, 'runs'));
    const before = await h.mustState(b.id);
    const r = await h.start(b.id);
    h.expectError(r, /running|already|created|stopped|status|state/i);
    const after = await h.mustState(b.id);
    expect(after.status).toBe('running');
    expect(after.pid).toBe(before.pid);
    await sleep(300);
    expect(readFileSync(join(out, 'runs'), 'utf8')).toBe('x\n');
  });

  test(spec('runtime.md#start', 'RT-START-003', 'start of a stopped container generates an error and does not run the program again'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({ args: ['sh', '-c', 'echo x >> /out/runs'], patch: (c) => bind(c, out, '/out') });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    const r = await h.start(b.id);
    h.expectError(r, /stopped|not running|created|status|state/i);
    expect((await h.mustState(b.id)).status).toBe('stopped');
    await sleep(300);
    expect(readFileSync(join(out, 'runs'), 'utf8')).toBe('x\n');
  });

  test(spec('runtime.md#start', 'RT-START-004', 'start of a container that does not exist generates an error'), async ({ h }) => {
    const r = await h.start(h.newId('absent'));
    h.expectError(r, /not exist|does not exist|no such|not found/i);
  });

  test(spec('runtime.md#start', 'RT-START-005', 'without process, start generates an error (or create already refuses) and nothing runs'), async ({ h }) => {
    const b = h.bundle({ patch: (c) => delete c.process });
    const c = await h.create(b);
    if (c.code === 0) {
      h.expectError(await h.start(b.id), /process/i);
    } else {
      h.expectError(c, /process/i);
      expect((await h.state(b.id)).r.code).not.toBe(0);
    }
  });

  test(spec('runtime.md#start', 'RT-START-006', 'start makes the created container run the program (status running, pid runs args)'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const created = await h.mustCreate(b);
    await h.mustStart(b.id);
    const s = await h.mustState(b.id);
    expect(s.pid).toBe(created.pid);
    expect(readProc(s.pid!, 'cmdline').split('\0').filter(Boolean)).toEqual(SLEEP);
  });
});

describe('runtime.md#kill', () => {
  test(spec('runtime.md#kill', 'RT-KILL-001', 'kill without a container ID generates an error'), async ({ h }) => {
    const r = await h.cli(['kill']);
    h.expectError(r, /\bid\b|argument|usage/i);
  });

  test(spec('runtime.md#kill', 'RT-KILL-002', 'kill of a stopped container generates an error and leaves it stopped'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    const r = await h.kill(b.id, 'KILL');
    h.expectError(r, /not running|stopped|no such process|status|state/i);
    expect((await h.mustState(b.id)).status).toBe('stopped');
  });

  test(spec('runtime.md#kill', 'RT-KILL-003', 'kill sends the given signal to the container process'), async ({ h }) => {
    const out = h.mkdir('out');
    const b = h.bundle({
      args: ['sh', '-c', "trap 'echo usr1 > /out/sig; exit 0' USR1; echo ready > /out/ready; while true; do sleep 0.1; done"],
      patch: (c) => bind(c, out, '/out'),
    });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitFile(join(out, 'ready'))).toBe('ready\n');
    const r = await h.kill(b.id, 'USR1');
    expect(r.code, describeResult(r)).toBe(0);
    expect(await h.waitFile(join(out, 'sig'))).toBe('usr1\n');
  });

  test(spec('runtime.md#kill', 'RT-KILL-004', 'kill of a created container is allowed and signals its process'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const s = await h.mustCreate(b);
    const r = await h.kill(b.id, 'KILL');
    expect(r.code, describeResult(r)).toBe(0);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    for (let i = 0; i < 400 && pidAlive(s.pid!); i++) await sleep(50);
    expect(pidAlive(s.pid!)).toBe(false);
  });

  test(spec('runtime.md#kill', 'RT-KILL-005', 'kill of a container that does not exist generates an error'), async ({ h }) => {
    const r = await h.kill(h.newId('absent'), 'KILL');
    h.expectError(r, /not exist|does not exist|no such|not found/i);
  });
});

describe('runtime.md#delete', () => {
  test(spec('runtime.md#delete', 'RT-DELETE-001', 'delete without a container ID generates an error'), async ({ h }) => {
    const r = await h.cli(['delete']);
    h.expectError(r, /\bid\b|argument|usage/i);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-002', 'delete of a running container generates an error and has no effect'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    const before = await h.mustState(b.id);
    const r = await h.delete(b.id);
    h.expectError(r, /running|not stopped|status|state/i);
    const after = await h.mustState(b.id);
    expect(after.status).toBe('running');
    expect(after.pid).toBe(before.pid);
    expect(pidAlive(before.pid!)).toBe(true);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-003', 'delete of a created container generates an error and has no effect'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const before = await h.mustCreate(b);
    const r = await h.delete(b.id);
    h.expectError(r, /created|not stopped|status|state/i);
    const after = await h.state(b.id);
    expect(after.state?.status).toBe('created');
    expect(pidAlive(before.pid!)).toBe(true);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-004', 'delete of a container that does not exist generates an error'), async ({ h }) => {
    const r = await h.delete(h.newId('absent'));
    h.expectError(r, /not exist|does not exist|no such|not found/i);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-005', 'delete removes the resources created by create (cgroup directories)'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    await h.mustCreate(b);
    const dirs = cgroupDirs(b.config.linux.cgroupsPath);
    expect(dirs.length).toBeGreaterThan(0);
    await h.mustStart(b.id);
    await h.waitStatus(b.id, 'stopped');
    expect((await h.delete(b.id)).code).toBe(0);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-006', 'delete keeps resources not created by the container (bind source, its files, a pre-existing parent cgroup)'), async ({ h }) => {
    const src = h.mkdir('keep');
    writeFileSync(join(src, 'file'), 'data');
    mkdirSync(join(src, 'sub'));
    const b = h.bundle({ args: ['sh', '-c', 'ls /keep > /dev/null'], patch: (c) => bind(c, src, '/keep') });
    // the parent cgroup exists before the container: the container did not create it
    const parent = b.config.linux.cgroupsPath.split('/').slice(0, -1).join('/');
    for (const m of new Set(cgroupMounts().values())) mkdirSync(join(m, parent), { recursive: true });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitStatus(b.id, 'stopped');
    expect((await h.delete(b.id)).code).toBe(0);
    expect(readFileSync(join(src, 'file'), 'utf8')).toBe('data');
    expect(existsSync(join(src, 'sub'))).toBe(true);
    expect(cgroupDirs(parent).length).toBeGreaterThan(0);
  });

  test(spec('runtime.md#delete', 'RT-DELETE-007', 'after delete the ID can be used by a new container'), async ({ h }) => {
    const b = h.bundle({ args: ['true'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitStatus(b.id, 'stopped');
    expect((await h.delete(b.id)).code).toBe(0);
    await h.mustCreate(h.bundle({ args: SLEEP, id: b.id }));
  });
});
