// config.md#posix-platform-hooks and the hook steps of runtime.md#lifecycle: order, timing,
// namespaces, the state on stdin, failures. Host-side hooks are host shell scripts that record
// what they see into a log dir that is also bound into the container at /out.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, describeResult, expect, featureTest, spec, type Harness } from '../harness/harness.js';
import { HOOKS } from '../harness/feature-catalog.js';
import { nsId, pidAlive } from '../harness/host.js';
import { bind, hook } from '../harness/patches.js';
import { stateSchemaErrors } from '../harness/schema.js';

const SLEEP = ['sleep', '600'];
/** every test here needs hooks; the ones expecting a refusal need hooks that work */
const test = featureTest(HOOKS);
const testRefusal = featureTest(HOOKS, { mustWork: true });
/** how any runtime names a failed hook in its error */
const HOOK_FAILED = /hook/i;
const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
type Kind = (typeof KINDS)[number];
const NS = ['mnt', 'net', 'uts', 'ipc', 'pid'];

/** A host hook that records its stdin, order, namespaces and root into `logs`, then exits `code`. */
function hostHook(h: Harness, logs: string, code = 0): string {
  return h.script(
    `hook-${code}.sh`,
    [
      'n=$1',
      `D=${logs}`,
      // each record is written under a temp name and renamed: a waiting test never reads half of it
      'cat > "$D/.$n.state" && mv "$D/.$n.state" "$D/$n.state"',
      'echo "$n" >> "$D/order"',
      `for t in ${NS.join(' ')}; do echo "$t $(readlink /proc/self/ns/$t)"; done > "$D/.$n.ns" && mv "$D/.$n.ns" "$D/$n.ns"`,
      'pid=$(sed -n \'s/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p\' "$D/$n.state")',
      // a stopped container may report no pid (or 0): nothing to look at then
      '[ "${pid:-0}" -gt 0 ] || pid=none',
      'readlink "/proc/$pid/root" > "$D/$n.root" 2>/dev/null || echo gone > "$D/$n.root"',
      'tr "\\0" " " < "/proc/$pid/cmdline" > "$D/$n.cmdline" 2>/dev/null || echo gone > "$D/$n.cmdline"',
      `exit ${code}`,
    ].join('\n'),
  );
}

/** The same recorder inside the rootfs, for startContainer (its path resolves in the container). */
function containerHook(rootfs: string, code = 0): string {
  const p = join(rootfs, 'hooks', `start-${code}.sh`);
  mkdirSync(join(rootfs, 'hooks'), { recursive: true });
  writeFileSync(
    p,
    [
      '#!/bin/sh',
      'n=$1',
      'cat > "/out/.$n.state" && mv "/out/.$n.state" "/out/$n.state"',
      'echo "$n" >> /out/order',
      `for t in ${NS.join(' ')}; do echo "$t $(readlink /proc/self/ns/$t)"; done > "/out/.$n.ns" && mv "/out/.$n.ns" "/out/$n.ns"`,
      `exit ${code}`,
      '',
    ].join('\n'),
  );
  chmodSync(p, 0o755);
  return `/hooks/start-${code}.sh`;
}

interface HookSetup {
  logs: string;
  failing?: Kind;
  kinds?: readonly Kind[];
  args?: string[];
  /** two entries per kind, to check order within a kind */
  twice?: boolean;
}

/** A bundle with recorder hooks of the given kinds; the program appends "program" to the order. */
function hookBundle(h: Harness, o: HookSetup) {
  const ok = hostHook(h, o.logs, 0);
  const bad = hostHook(h, o.logs, 1);
  const b = h.bundle({
    args: o.args ?? ['sh', '-c', 'echo program >> /out/order; sleep 600'],
    patch: (c) => bind(c, o.logs, '/out'),
  });
  const startOk = containerHook(b.rootfs, 0);
  const startBad = containerHook(b.rootfs, 1);
  const hooks: Record<string, unknown[]> = {};
  for (const k of o.kinds ?? KINDS) {
    const inContainer = k === 'startContainer';
    const path = (fail: boolean) => (inContainer ? (fail ? startBad : startOk) : fail ? bad : ok);
    const entries = [hook(path(o.failing === k), ['hook', k])];
    if (o.twice) entries.push(hook(path(false), ['hook', `${k}-2`]));
    hooks[k] = entries;
  }
  b.config.hooks = hooks;
  b.save();
  return b;
}

const order = (logs: string) => (existsSync(join(logs, 'order')) ? readFileSync(join(logs, 'order'), 'utf8').split('\n').filter(Boolean) : []);
const stateOf = (logs: string, k: string) => JSON.parse(readFileSync(join(logs, `${k}.state`), 'utf8'));
const nsOf = (logs: string, k: string) =>
  Object.fromEntries(readFileSync(join(logs, `${k}.ns`), 'utf8').trim().split('\n').map((l) => l.split(' ') as [string, string]));
const hostNs = () => Object.fromEntries(NS.map((t) => [t, nsId('self', t)]));
const pidNs = (pid: number) => Object.fromEntries(NS.filter((t) => t !== 'pid').map((t) => [t, nsId(pid, t)]));

async function fullLifecycle(h: Harness, o: HookSetup) {
  const b = hookBundle(h, o);
  const created = await h.mustCreate(b);
  await h.mustStart(b.id);
  await h.kill(b.id, 'KILL');
  await h.waitStatus(b.id, 'stopped');
  const d = await h.delete(b.id);
  expect(d.code, describeResult(d)).toBe(0);
  return { b, created };
}

describe('config.md#posix-platform-hooks', () => {
  test(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-001', 'hooks of one kind are called in the listed order'), async ({ h }) => {
    const logs = h.mkdir('logs');
    await fullLifecycle(h, { logs, twice: true });
    const o = order(logs);
    for (const k of KINDS) {
      expect(o.indexOf(k), `${k} ran (order: ${o.join(',')})`).toBeGreaterThanOrEqual(0);
      expect(o.indexOf(`${k}-2`), `${k}-2 after ${k} (order: ${o.join(',')})`).toBeGreaterThan(o.indexOf(k));
    }
  });

  for (const k of KINDS) {
    test(spec('config.md#posix-platform-hooks', `CFG-HOOKS-STDIN-${k}`, `the state is passed to ${k} hooks on stdin`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const { b } = await fullLifecycle(h, { logs, kinds: [k] });
      const s = stateOf(logs, k);
      expect(stateSchemaErrors(s)).toEqual([]);
      expect(s.id).toBe(b.id);
      expect(s.bundle).toBe(b.dir);
    });
  }

  for (const k of ['prestart', 'createRuntime', 'poststart'] as const) {
    test(spec(`config.md#${k.toLowerCase()}`, `CFG-HOOKS-PID-${k}`, `${k} hooks (runtime namespace) get the container pid as seen by the runtime`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const b = hookBundle(h, { logs, kinds: [k] });
      const created = await h.mustCreate(b);
      await h.mustStart(b.id);
      expect(stateOf(logs, k).pid).toBe(created.pid);
    });
  }

  for (const k of ['createContainer', 'startContainer'] as const) {
    test(spec('runtime.md#state', `RT-STATE-PID-${k}`, `${k} hooks (container namespace) get the pid as seen by the container`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const b = hookBundle(h, { logs, kinds: [k] });
      await h.mustCreate(b);
      await h.mustStart(b.id);
      await h.waitFile(join(logs, `${k}.state`));
      // the base config has a new pid namespace, where the container process is pid 1
      expect(stateOf(logs, k).pid).toBe(1);
    });
  }

  for (const k of ['prestart', 'createRuntime', 'poststart', 'poststop'] as const) {
    test(spec(`config.md#${k.toLowerCase()}`, `CFG-HOOKS-NS-${k}`, `${k} hooks are executed in the runtime namespace`), async ({ h }) => {
      const logs = h.mkdir('logs');
      await fullLifecycle(h, { logs, kinds: [k] });
      expect(nsOf(logs, k)).toEqual(hostNs());
    });
  }

  for (const k of ['createContainer', 'startContainer'] as const) {
    test(spec(`config.md#${k.toLowerCase()}-hooks`, `CFG-HOOKS-NS-${k}`, `${k} hooks are executed in the container namespace`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const b = hookBundle(h, { logs, kinds: [k] });
      const s = await h.mustCreate(b);
      await h.mustStart(b.id);
      await h.waitFile(join(logs, `${k}.ns`));
      const seen = nsOf(logs, k);
      delete seen.pid;
      expect(seen).toEqual(pidNs(s.pid!));
    });
  }

  test(spec('config.md#startcontainer-hooks', 'CFG-HOOKS-PATH-startContainer', 'the startContainer hook path resolves in the container namespace'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['startContainer'] });
    // the hook script exists only inside the rootfs: running it proves the path resolved there
    expect(existsSync('/hooks/start-0.sh')).toBe(false);
    await h.mustCreate(b);
    await h.mustStart(b.id);
    expect(await h.waitFile(join(logs, 'startContainer.state'))).toBeDefined();
  });

  test(spec('config.md#createcontainer-hooks', 'CFG-HOOKS-PATH-createContainer', 'the createContainer hook path resolves in the runtime namespace'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['createContainer'] });
    // the hook script exists only on the host, outside the rootfs
    expect(existsSync(join(b.rootfs, hostHook(h, logs, 0)))).toBe(false);
    await h.mustCreate(b);
    expect(existsSync(join(logs, 'createContainer.state'))).toBe(true);
  });

  test(spec('config.md#prestart', 'CFG-HOOKS-ORDER-001', 'prestart hooks are called before createRuntime hooks'), async ({ h }) => {
    const logs = h.mkdir('logs');
    await fullLifecycle(h, { logs, kinds: ['createRuntime', 'prestart'] });
    const o = order(logs);
    expect(o.indexOf('prestart')).toBeGreaterThanOrEqual(0);
    expect(o.indexOf('prestart')).toBeLessThan(o.indexOf('createRuntime'));
  });

  test(spec('config.md#createcontainer-hooks', 'CFG-HOOKS-ORDER-002', 'createContainer hooks are called after createRuntime hooks'), async ({ h }) => {
    const logs = h.mkdir('logs');
    await fullLifecycle(h, { logs, kinds: ['createContainer', 'createRuntime'] });
    const o = order(logs);
    expect(o.indexOf('createRuntime')).toBeGreaterThanOrEqual(0);
    expect(o.indexOf('createContainer')).toBeGreaterThan(o.indexOf('createRuntime'));
  });

  for (const k of ['prestart', 'createRuntime', 'createContainer'] as const) {
    test(spec(`config.md#${k === 'createContainer' ? 'createcontainer-hooks' : k.toLowerCase()}`, `CFG-HOOKS-WHEN-${k}`, `${k} hooks run during create, after the namespaces exist, before pivot_root`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const b = hookBundle(h, { logs, kinds: [k] });
      await h.mustCreate(b);
      // ran as part of create
      expect(order(logs)).toEqual([k]);
      const ns = nsOf(logs, k);
      const st = stateOf(logs, k);
      if (k !== 'createContainer') {
        // the container's mount namespace already exists (pid seen by the runtime)
        expect(readFileSync(join(logs, `${k}.root`), 'utf8').trim()).toBe('/');
      } else {
        expect(ns.mnt).not.toBe(nsId('self', 'mnt'));
      }
      expect(st.id).toBe(b.id);
    });
  }

  test(spec('config.md#prestart', 'CFG-HOOKS-WHEN-prestart-ns', 'prestart hooks run after the container namespaces were created'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['prestart'] });
    const s = await h.mustCreate(b);
    // the pid the hook was given already lives in the container's new namespaces
    expect(stateOf(logs, 'prestart').pid).toBe(s.pid);
    expect(nsId(s.pid!, 'mnt')).not.toBe(nsId('self', 'mnt'));
    expect(nsId(s.pid!, 'net')).not.toBe(nsId('self', 'net'));
  });

  test(spec('config.md#startcontainer-hooks', 'CFG-HOOKS-WHEN-startContainer', 'startContainer hooks run during start, before the program is executed'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['startContainer'] });
    await h.mustCreate(b);
    await sleep(200);
    expect(order(logs)).toEqual([]);
    await h.mustStart(b.id);
    await h.waitFile(join(logs, 'order'));
    for (let i = 0; i < 100 && order(logs).length < 2; i++) await sleep(50);
    expect(order(logs)).toEqual(['startContainer', 'program']);
  });

  test(spec('config.md#poststart', 'CFG-HOOKS-WHEN-poststart', 'poststart hooks run after the program was executed and before start returns'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['poststart'], args: SLEEP });
    await h.mustCreate(b);
    expect(order(logs), 'poststart hook ran during create').toEqual([]);
    await h.mustStart(b.id);
    // when start returned the hook had run, and it saw the user program in the container pid
    expect(order(logs)).toEqual(['poststart']);
    expect(readFileSync(join(logs, 'poststart.cmdline'), 'utf8').trim()).toBe(SLEEP.join(' '));
  });

  test(spec('config.md#poststop', 'CFG-HOOKS-WHEN-poststop', 'poststop hooks run after the container is deleted and before delete returns'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['poststop'], args: SLEEP });
    const s = await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.kill(b.id, 'KILL');
    await h.waitStatus(b.id, 'stopped');
    expect(order(logs)).toEqual([]);
    const d = await h.delete(b.id);
    expect(d.code, describeResult(d)).toBe(0);
    expect(order(logs)).toEqual(['poststop']);
    // the container process no longer existed when the hook looked
    expect(readFileSync(join(logs, 'poststop.cmdline'), 'utf8').trim()).toBe('gone');
    expect(pidAlive(s.pid!)).toBe(false);
  });

  test(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-ARGS-001', 'hook args are passed as argv (argv[0] included)'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = h.bundle({ args: SLEEP });
    // busybox dispatches on argv[0]: it only runs `sh` if args[0] reached the hook as argv[0]
    b.config.hooks = { createRuntime: [hook('/bin/busybox', ['sh', '-c', `echo "$0|$1" > ${logs}/args`, 'zero', 'one'])] };
    b.save();
    await h.mustCreate(b);
    expect(readFileSync(join(logs, 'args'), 'utf8')).toBe('zero|one\n');
  });

  test(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-ENV-001', 'hook env is the environment of the hook process'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = h.bundle({ args: SLEEP });
    const script = h.script('env.sh', `tr '\\0' '\\n' < /proc/$$/environ | sort > ${logs}/env`);
    b.config.hooks = { createRuntime: [hook(script, [script], { env: ['HOOK_A=1', 'HOOK_B=two words'] })] };
    b.save();
    await h.mustCreate(b);
    expect(readFileSync(join(logs, 'env'), 'utf8')).toBe('HOOK_A=1\nHOOK_B=two words\n');
  });

  testRefusal(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-TIMEOUT-001', 'a hook running longer than its timeout is aborted and fails the operation'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    // exec: the hook process itself is what must be aborted, no grandchild holds its stdio
    const script = h.script('slow.sh', 'exec sleep 30');
    b.config.hooks = { createRuntime: [hook(script, [script], { timeout: 1 })] };
    b.save();
    const t0 = Date.now();
    const r = await h.create(b, { timeoutMs: 25_000 });
    h.expectError(r, /time(d)? ?out|timeout/i);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  testRefusal(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-TIMEOUT-ZERO', 'a hook timeout that is not greater than zero is invalid and generates an error'), async ({ h }) => {
    const b = h.bundle({ args: SLEEP });
    const script = h.script('quick.sh', 'exit 0');
    b.config.hooks = { createRuntime: [hook(script, [script], { timeout: 0 })] };
    b.save();
    h.expectError(await h.create(b), /timeout/i);
  });

  testRefusal(spec('config.md#posix-platform-hooks', 'CFG-HOOKS-PATH-ABS', 'a relative hook path is invalid and generates an error'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = h.bundle({ args: SLEEP });
    writeFileSync(join(b.dir, 'rel-hook.sh'), `#!/bin/sh\necho ran > ${logs}/ran\n`);
    chmodSync(join(b.dir, 'rel-hook.sh'), 0o755);
    b.config.hooks = { createRuntime: [hook('rel-hook.sh')] };
    b.save();
    const r = await h.create(b, { cwd: b.dir });
    h.expectError(r, /rel-hook\.sh/);
    // refused, not run from the caller's working directory
    expect(existsSync(join(logs, 'ran'))).toBe(false);
  });
});

describe('runtime.md#lifecycle hooks', () => {
  for (const [k, step] of [
    ['prestart', 3],
    ['createRuntime', 4],
    ['createContainer', 5],
  ] as const) {
    test(spec('runtime.md#lifecycle', `RT-LIFE-HOOK-${k}`, `step ${step}: ${k} hooks are invoked by create`), async ({ h }) => {
      const logs = h.mkdir('logs');
      await h.mustCreate(hookBundle(h, { logs, kinds: [k] }));
      expect(order(logs)).toEqual([k]);
    });

    testRefusal(spec('runtime.md#lifecycle', `RT-LIFE-HOOKFAIL-${k}`, `step ${step}: a failing ${k} hook makes create fail and stops the container`), async ({ h }) => {
      const logs = h.mkdir('logs');
      const b = hookBundle(h, { logs, kinds: [k], failing: k });
      h.expectError(await h.create(b), HOOK_FAILED);
      const pid = stateOf(logs, k).pid as number;
      // createContainer sees the pid from inside the container's pid namespace
      if (pid && k !== 'createContainer') h.trackPid(pid);
      // the container process must be gone (a created one would still be alive) and never ran the program
      const st = await h.state(b.id);
      expect(st.state === undefined || st.state.status === 'stopped').toBe(true);
      for (let i = 0; i < 400 && pid && pidAlive(pid); i++) await sleep(50);
      if (pid && k !== 'createContainer') expect(pidAlive(pid)).toBe(false);
      expect(order(logs)).not.toContain('program');
    });
  }

  testRefusal(spec('runtime.md#lifecycle', 'RT-LIFE-HOOKFAIL-step12', 'steps 3-5: after a failing create-phase hook, the lifecycle continues at step 12 and 13 (poststop runs)'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['createRuntime', 'poststop'], failing: 'createRuntime' });
    h.expectError(await h.create(b), HOOK_FAILED);
    expect(order(logs)).toEqual(['createRuntime', 'poststop']);
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-HOOK-startContainer', 'step 7: startContainer hooks are invoked by start'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['startContainer'] });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.waitFile(join(logs, 'order'));
    expect(order(logs)[0]).toBe('startContainer');
  });

  testRefusal(spec('runtime.md#lifecycle', 'RT-LIFE-HOOKFAIL-startContainer', 'step 7: a failing startContainer hook makes start fail, stops the container, the program never runs'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['startContainer'], failing: 'startContainer' });
    const s = await h.mustCreate(b);
    h.expectError(await h.start(b.id), HOOK_FAILED);
    for (let i = 0; i < 400 && pidAlive(s.pid!); i++) await sleep(50);
    expect(pidAlive(s.pid!)).toBe(false);
    expect(order(logs)).not.toContain('program');
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-HOOK-poststart', 'step 9: poststart hooks are invoked by start'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['poststart'], args: SLEEP });
    await h.mustCreate(b);
    expect(order(logs), 'poststart hook ran during create').toEqual([]);
    await h.mustStart(b.id);
    expect(order(logs)).toEqual(['poststart']);
  });

  testRefusal(spec('runtime.md#lifecycle', 'RT-LIFE-HOOKFAIL-poststart', 'step 9: a failing poststart hook makes start fail and stops the container'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['poststart'], failing: 'poststart', args: SLEEP });
    const s = await h.mustCreate(b);
    h.expectError(await h.start(b.id), HOOK_FAILED);
    for (let i = 0; i < 400 && pidAlive(s.pid!); i++) await sleep(50);
    expect(pidAlive(s.pid!)).toBe(false);
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-HOOK-poststop', 'step 13: poststop hooks are invoked by delete'), async ({ h }) => {
    const logs = h.mkdir('logs');
    await fullLifecycle(h, { logs, kinds: ['poststop'] });
    expect(order(logs).filter((x) => x !== 'program')).toEqual(['poststop']);
  });

  test(spec('runtime.md#lifecycle', 'RT-LIFE-HOOKFAIL-poststop', 'step 13: a failing poststop hook is only a warning: delete succeeds and later hooks still run'), async ({ h }) => {
    const logs = h.mkdir('logs');
    const b = hookBundle(h, { logs, kinds: ['poststop'], failing: 'poststop', twice: true });
    await h.mustCreate(b);
    await h.mustStart(b.id);
    await h.kill(b.id, 'KILL');
    await h.waitStatus(b.id, 'stopped');
    const d = await h.delete(b.id);
    expect(d.code, describeResult(d)).toBe(0);
    expect(order(logs).filter((x) => x.startsWith('poststop'))).toEqual(['poststop', 'poststop-2']);
    expect((await h.state(b.id)).r.code).not.toBe(0);
  });
});
