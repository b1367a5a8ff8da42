// Hooks with real containers: each kind at its lifecycle step, in its namespace, with the state on
// stdin, args and only its env; failures, timeouts, and nothing left behind.
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Hook, Hooks, Spec } from '../../lib/spec/index.js';
import { alive, useHarness, waitFor } from '../support/harness.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('hooks');
const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];

/**
 * A recorder: appends its name to log/order, and writes its stdin, namespaces, root, cwd,
 * environment and what it sees at /proc/1 (and of the mounts) to log/<name>.*. Host hooks use
 * the host's busybox; the startContainer one lives in the rootfs (its path resolves there) and
 * writes to /log, the same directory bound into the container.
 */
function recorder(dir: string, inContainer: boolean): string {
  const log = inContainer ? '/log' : dir;
  const script = [
    '#!/bin/sh',
    'n=$1',
    `cat > ${log}/$n.state`,
    `echo $n >> ${log}/order`,
    `for t in mnt pid net uts ipc; do echo "$t $(readlink /proc/self/ns/$t)"; done > ${log}/$n.ns`,
    `env > ${log}/$n.env`,
    `pwd > ${log}/$n.cwd`,
    `ls / > ${log}/$n.ls`,
    `cat /proc/self/mountinfo > ${log}/$n.mounts`,
    'exit ${HOOK_EXIT:-0}',
    '',
  ].join('\n');
  return script;
}

interface Setup {
  kinds?: readonly Kind[];
  /** The hook of this kind exits 3 and writes to stderr. */
  failing?: Kind;
  args?: string[];
  twice?: boolean;
  extra?: (s: Spec) => void;
}

/** A bundle with a private rootfs whose hooks record into `log`. */
function hookBundle(o: Setup = {}): { bundle: string; log: string; rootfs: string } {
  const log = h.dir('log');
  const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
  const hostHook = join(h.dir('hook'), 'record.sh');
  writeFileSync(hostHook, recorder(log, false));
  chmodSync(hostHook, 0o755);
  mkdirSync(join(rootfs, 'hooks'));
  writeFileSync(join(rootfs, 'hooks', 'record.sh'), recorder(log, true));
  chmodSync(join(rootfs, 'hooks', 'record.sh'), 0o755);
  const bundle = h.bundle(
    (s) => {
      s.process!.args = o.args ?? ['sh', '-c', 'echo program >> /log/order; exec sleep 60'];
      s.mounts!.push({ destination: '/log', type: 'bind', source: log, options: ['bind'] });
      s.mounts!.push({ destination: '/in-container-mount', type: 'tmpfs', source: 'tmpfs' });
      const hooks: Hooks = {};
      for (const k of o.kinds ?? KINDS) {
        const path = k === 'startContainer' ? '/hooks/record.sh' : hostHook;
        const entry = (name: string, fail: boolean): Hook => ({
          path,
          args: ['record.sh', name],
          env: [`HOOK_KIND=${k}`, ...(fail ? ['HOOK_EXIT=3'] : [])],
        });
        hooks[k] = [entry(k, o.failing === k), ...(o.twice ? [entry(`${k}-2`, false)] : [])];
      }
      s.hooks = hooks;
      o.extra?.(s);
    },
    { rootfs },
  );
  return { bundle, log, rootfs };
}

const order = (log: string) => (existsSync(join(log, 'order')) ? readFileSync(join(log, 'order'), 'utf8').split('\n').filter(Boolean) : []);
const read = (log: string, name: string) => readFileSync(join(log, name), 'utf8');
const state = (log: string, k: string) => JSON.parse(read(log, `${k}.state`));
const nsOf = (log: string, k: string) => Object.fromEntries(read(log, `${k}.ns`).trim().split('\n').map((l) => l.split(' ')));
const nsOfPid = (pid: number | string) => Object.fromEntries(['mnt', 'pid', 'net', 'uts', 'ipc'].map((t) => [t, readlinkSync(`/proc/${pid}/ns/${t}`)]));

describe('every kind at its step', () => {
  it('runs once each, in order, with the state of its step on stdin', async () => {
    const { bundle, log } = hookBundle({ twice: true });
    const id = h.id('all');
    const c = await h.cli(['create', '--bundle', bundle, id]);
    expect(c.stderr).toBe('ocirun: warning: config.json: /hooks/prestart: prestart hooks are deprecated: use createRuntime (same point of the lifecycle, runtime namespace)\n');
    expect(order(log)).toEqual(['prestart', 'prestart-2', 'createRuntime', 'createRuntime-2', 'createContainer', 'createContainer-2']);
    const pid = Number(read(join(h.root, id), 'state.json').match(/"pid":(\d+)/)![1]);
    const s = await h.cli(['start', id]);
    expect(s.stderr).toBe('');
    // start returned after poststart: startContainer ran before the program, poststart after it
    expect(order(log).slice(6)).toEqual(expect.arrayContaining(['startContainer', 'startContainer-2', 'poststart', 'poststart-2']));
    expect(order(log).indexOf('startContainer-2')).toBeLessThan(order(log).indexOf('poststart'));
    await waitFor(() => order(log).includes('program'), 2000);
    expect(order(log).indexOf('startContainer-2')).toBeLessThan(order(log).indexOf('program'));
    await h.cli(['kill', id, 'KILL']);
    await waitFor(() => !alive(pid), 5000);
    expect(order(log)).not.toContain('poststop');
    const d = await h.cli(['delete', id]);
    expect(d.stderr).toBe('');
    expect(order(log).slice(-2)).toEqual(['poststop', 'poststop-2']);
    expect(order(log).filter((n) => n === 'prestart')).toHaveLength(1);

    const base = { ociVersion: '1.3.0', id, bundle };
    expect(state(log, 'prestart')).toEqual({ ...base, status: 'creating', pid });
    expect(state(log, 'createRuntime')).toEqual({ ...base, status: 'creating', pid });
    // the container namespace hooks get the pid as the container sees it: pid 1 of its namespace
    expect(state(log, 'createContainer')).toEqual({ ...base, status: 'creating', pid: 1 });
    expect(state(log, 'startContainer')).toMatchObject({ ...base, status: 'created', pid: 1 });
    expect(state(log, 'poststart')).toMatchObject({ ...base, status: 'running', pid });
    expect(state(log, 'poststop')).toMatchObject({ ...base, status: 'stopped' });
  });

  it('runtime-namespace hooks run on the host; createContainer in the container\'s namespaces before pivot_root; startContainer inside its root', async () => {
    const { bundle, log } = hookBundle();
    const id = h.id('ns');
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    const pid = Number(read(join(h.root, id), 'state.json').match(/"pid":(\d+)/)![1]);
    await h.cli(['start', id]);
    const host = nsOfPid('self');
    const container = nsOfPid(pid);
    for (const k of ['prestart', 'createRuntime', 'poststart'] as const) expect(nsOf(log, k), k).toEqual(host);
    for (const k of ['createContainer', 'startContainer'] as const) expect(nsOf(log, k), k).toEqual(container);
    // createContainer: before pivot_root it sees the host's tree with the container's mounts on it
    expect(read(log, 'createContainer.mounts')).toMatch(new RegExp(` ${h.tmp}/rootfs-\\d+/rootfs/in-container-mount `));
    expect(read(log, 'createContainer.ls').split('\n')).toEqual(expect.arrayContaining(['proc', 'tmp']));
    // startContainer: in the container's root, where its path resolved
    expect(read(log, 'startContainer.ls').split('\n')).toEqual(expect.arrayContaining(['hooks', 'log', 'in-container-mount']));
    expect(read(log, 'startContainer.cwd')).toBe('/\n');
    await h.cli(['delete', '--force', id]);
    expect(nsOf(log, 'poststop')).toEqual(host);
  });

  it('startContainer runs as the container process would: its user, capabilities and seccomp filter (its binary is the container\'s)', async () => {
    const log = h.dir('log');
    chmodSync(log, 0o777); // written by uid 1000
    const rootfs = copyRootfs(join(h.dir('rootfs'), 'rootfs'));
    mkdirSync(join(rootfs, 'hooks'));
    writeFileSync(join(rootfs, 'hooks', 'who.sh'), '#!/bin/sh\n{ id -u; grep ^CapEff /proc/self/status; mkdir /tmp/d 2>&1; } > /log/who\nexit 0\n');
    chmodSync(join(rootfs, 'hooks', 'who.sh'), 0o755);
    const bundle = h.bundle(
      (s) => {
        s.process!.args = ['true'];
        s.process!.user = { uid: 1000, gid: 1000 };
        s.mounts!.push({ destination: '/log', type: 'bind', source: log, options: ['bind'] }, { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 }] };
        s.hooks = { startContainer: [{ path: '/hooks/who.sh' }] };
      },
      { rootfs },
    );
    const r = await h.cli(['run', '--bundle', bundle, h.id('who')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(read(log, 'who')).toBe("1000\nCapEff:\t0000000000000000\nmkdir: can't create directory '/tmp/d': Disk quota exceeded\n");
  });

  it('runtime-namespace hooks run in the bundle directory, wherever create, start and delete are called from (as runc)', async () => {
    const kinds = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const;
    const { bundle, log } = hookBundle({ kinds });
    const elsewhere = h.dir('elsewhere');
    const id = h.id('cwd');
    expect((await h.cli(['create', '--bundle', bundle, id], { cwd: elsewhere })).code).toBe(0);
    expect((await h.cli(['start', id], { cwd: elsewhere })).stderr).toBe('');
    expect((await h.cli(['delete', '--force', id], { cwd: elsewhere })).stderr).toBe('');
    expect(order(log).filter((n) => n !== 'program')).toEqual(['prestart', 'createRuntime', 'poststart', 'poststop']);
    for (const k of kinds) expect({ k, cwd: read(log, `${k}.cwd`).trim() }).toEqual({ k, cwd: bundle });
    // A bundle removed before delete: poststop still runs, in the runtime's own directory.
    const gone = hookBundle({ kinds: ['poststop'] });
    const id2 = h.id('cwd');
    expect((await h.cli(['create', '--bundle', gone.bundle, id2])).code).toBe(0);
    rmSync(gone.bundle, { recursive: true });
    expect((await h.cli(['delete', '--force', id2], { cwd: elsewhere })).stderr).toBe('');
    expect(read(gone.log, 'poststop.cwd').trim()).toBe(elsewhere);
    h.expectClean();
  });

  it('args are argv (argv[0] included), env is the whole environment, stdio is not the runtime\'s', async () => {
    const { bundle, log } = hookBundle({ kinds: ['createRuntime'], args: ['true'] });
    const r = await h.cli(['run', '--bundle', bundle, h.id('env')], { input: 'not for hooks' });
    expect(r.stdout).toBe('');
    expect(read(log, 'createRuntime.env').trim().split('\n').sort()).toEqual(['HOOK_KIND=createRuntime', 'PWD=' + read(log, 'createRuntime.cwd').trim()].sort());
  });

  it('run: startContainer and poststart hooks run too, before run returns the process', async () => {
    const { bundle, log } = hookBundle({ kinds: ['startContainer', 'poststart'], args: ['sh', '-c', 'echo program >> /log/order'] });
    const r = await h.cli(['run', '--bundle', bundle, h.id('run')]);
    expect(r.code).toBe(0);
    expect(order(log)).toEqual(['startContainer', 'program', 'poststart'].filter((n) => order(log).includes(n)));
    expect(order(log)).toEqual(expect.arrayContaining(['startContainer', 'poststart', 'program']));
    expect(order(log)[0]).toBe('startContainer');
  });
});

describe('failures', () => {
  for (const k of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`a failing ${k} hook fails create naming it, stops the container, runs poststop, leaves nothing`, async () => {
      const { bundle, log } = hookBundle({ kinds: [k, 'poststop'], failing: k });
      const id = h.id('fail');
      const r = await h.cli(['create', '--bundle', bundle, id]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`${k} hook 0 (`);
      expect(r.stderr).toContain('exited with status 3');
      expect(order(log)).toEqual([k, 'poststop']);
      expect(state(log, 'poststop')).toMatchObject({ id, status: 'stopped' });
      expect((await h.cli(['state', id])).code).not.toBe(0);
      h.expectClean();
    });
  }

  it('a failing startContainer hook fails start, stops the container, the program never runs', async () => {
    const { bundle, log } = hookBundle({ kinds: ['startContainer', 'poststop'], failing: 'startContainer' });
    const id = h.id('failstart');
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    const r = await h.cli(['start', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('startContainer hook 0 (/hooks/record.sh) exited with status 3');
    expect(JSON.parse((await h.cli(['state', id])).stdout).status).toBe('stopped');
    expect(order(log)).toEqual(['startContainer']);
    expect((await h.cli(['delete', id])).code).toBe(0);
    expect(order(log)).toEqual(['startContainer', 'poststop']);
  });

  it('a failing poststart hook fails start and stops the container', async () => {
    const { bundle, log } = hookBundle({ kinds: ['poststart'], failing: 'poststart' });
    const id = h.id('failpoststart');
    expect((await h.cli(['create', '--bundle', bundle, id])).code).toBe(0);
    const r = await h.cli(['start', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('poststart hook 0 (');
    expect(JSON.parse((await h.cli(['state', id])).stdout).status).toBe('stopped');
    expect(order(log)).toContain('poststart');
  });

  it('a failing poststop hook is a warning: delete succeeds and the next hook runs', async () => {
    const { bundle, log } = hookBundle({ kinds: ['poststop'], failing: 'poststop', twice: true, args: ['sleep', '60'] });
    const id = h.id('failpoststop');
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);
    const d = await h.cli(['delete', '--force', id]);
    expect(d.stderr).toMatch(/^ocirun: warning: poststop hook 0 \(.*\) exited with status 3\n$/);
    expect(d.code).toBe(0);
    expect(order(log)).toEqual(['poststop', 'poststop-2']);
    // run deletes its container when the program exits: poststop runs then, a warning alike
    const { bundle: b2, log: log2 } = hookBundle({ kinds: ['poststop'], failing: 'poststop', args: ['true'] });
    const r = await h.cli(['run', '--bundle', b2, h.id('failpoststop')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: poststop hook 0 \(.*\) exited with status 3/);
    expect(order(log2)).toEqual(['poststop']);
  });

  it('a hook past its timeout is killed, with what it left in its process group, and create fails', async () => {
    const marker = h.dir('marker');
    const slow = join(h.dir('slow'), 'slow.sh');
    writeFileSync(slow, `#!/bin/sh\nsleep 120 &\necho $! > ${marker}/child\necho stuck >&2\nexec sleep 120\n`);
    chmodSync(slow, 0o755);
    const bundle = h.bundle((s) => (s.hooks = { createRuntime: [{ path: slow, timeout: 1 }] }));
    const t0 = Date.now();
    const r = await h.cli(['create', '--bundle', bundle, h.id('timeout')]);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`createRuntime hook 0 (${slow}) did not finish within its timeout of 1 s and was killed: stuck`);
    const child = Number(readFileSync(join(marker, 'child'), 'utf8'));
    expect(await waitFor(() => !alive(child), 2000)).toBe(true);
    h.expectClean();
  });

  it('what a hook leaves running in its process group does not survive it', async () => {
    const marker = h.dir('marker');
    const leaver = join(h.dir('leaver'), 'leave.sh');
    writeFileSync(leaver, `#!/bin/sh\nsleep 120 &\necho $! > ${marker}/child\n`);
    chmodSync(leaver, 0o755);
    const bundle = h.bundle((s) => {
      s.process!.args = ['true'];
      s.hooks = { createRuntime: [{ path: leaver }] };
    });
    const r = await h.cli(['run', '--bundle', bundle, h.id('leave')]);
    expect(r.code).toBe(0);
    const child = Number(readFileSync(join(marker, 'child'), 'utf8'));
    expect(await waitFor(() => !alive(child), 2000)).toBe(true);
  });

  it('a hook path that does not exist fails create naming the hook and the path', async () => {
    const bundle = h.bundle((s) => (s.hooks = { createContainer: [{ path: '/no/such/hook' }] }));
    const r = await h.cli(['create', '--bundle', bundle, h.id('missing')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('createContainer hook 0 (/no/such/hook): exec /no/such/hook: no such file or directory');
    h.expectClean();
  });
});
