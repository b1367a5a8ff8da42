// containerd 1.6 with its runc shim (io.containerd.runc.v2) driving ocirun through
// `ctr run --runc-binary`: a private daemon, the busybox image built offline, and every flow an
// operator uses, each asserting what the runtime did (exit codes, output, cgroup files, seccomp
// mode). runc runs the same flows in the same run, for the per-flow wall times side by side.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, waitFor, type RunResult } from '../support/harness.js';
import { sharedRootfs } from '../support/rootfs.js';
import { missingBinaries, PrivateContainerd } from '../support/containerd.js';
import { statusFields } from '../support/probes.js';

// CI installs containerd (.ci/run): a machine without it fails here rather than skipping.
const missing = missingBinaries();
if (missing.length) throw new Error(`containerd client tests need ${missing.join(', ')} (apt-get install containerd; .ci/run installs it)`);

const d = new PrivateContainerd('ctr');
const RUNC = '/usr/sbin/runc';
const runtimes = [
  { name: 'ocirun', binary: d.ocirun },
  ...(existsSync(RUNC) ? [{ name: 'runc', binary: RUNC }] : []),
];
const timings = new Map<string, Record<string, number>>();

beforeAll(async () => {
  sharedRootfs();
  await d.start();
}, 120_000);

afterEach(async () => {
  await d.removeAll();
  expect(d.leftovers()).toEqual({ processes: [], mounts: [], cgroups: [], sockets: [] });
});

afterAll(async () => {
  await d.stop();
  const rows = [...timings.entries()].map(([flow, t]) => `${flow.padEnd(34)} ${runtimes.map((r) => `${r.name} ${t[r.name] ?? '-'} ms`).join('   ')}`);
  console.log(`containerd flows, wall time per runtime:\n${rows.join('\n')}`);
}, 60_000);

/** Terminal output as lines: no \r, and without the ^@ that ctr's console echoes first. */
function tidy(r: RunResult): string {
  return r.stdout.replace(/\r/g, '').replace(/\^@/g, '');
}

describe.each(runtimes)('containerd 1.6 + runc shim with $name', ({ name, binary }) => {
  const flags = d.runtimeFlags(binary);
  const image = () => d.image.name;
  const isOcirun = name === 'ocirun';

  /** Time one flow for the side-by-side table. */
  async function timed<T>(flow: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const out = await fn();
    timings.set(flow, { ...timings.get(flow), [name]: Math.round(performance.now() - t0) });
    return out;
  }

  async function detached(id: string, args: string[], extra: string[] = []): Promise<number> {
    const r = await d.ctr(['run', '--detach', ...flags, ...extra, image(), id, ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return taskPid(id);
  }

  async function taskPid(id: string): Promise<number> {
    const ls = await d.ctr(['task', 'list']);
    const row = ls.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id);
    expect(row, ls.stdout).toBeDefined();
    return Number(row!.split(/\s+/)[1]);
  }

  async function taskStatus(id: string): Promise<string> {
    const ls = await d.ctr(['task', 'list']);
    return ls.stdout.split('\n').find((l) => l.split(/\s+/)[0] === id)?.split(/\s+/)[2] ?? 'gone';
  }

  /** The shim called the runtime with this verb for this container (through the recorder). */
  function expectCalled(verb: string, id: string): void {
    if (!isOcirun) return;
    expect(d.runtimeCalls().some((c) => c.includes(` ${verb} `) && c.endsWith(` ${id}`) || c.includes(` ${verb} `) && c.includes(` ${id} `))).toBe(true);
  }

  it('run --rm: output, the exit code propagated, the state removed', async () => {
    const id = d.id(`rm-${name}`);
    const r = await timed('run --rm (exit 3)', () => d.ctr(['run', '--rm', ...flags, image(), id, 'sh', '-c', 'echo "hello from $(cat /proc/1/comm)"; exit 3']));
    expect(r.stdout).toBe('hello from sh\n');
    expect(r.code).toBe(3);
    expectCalled('create', id);
    expectCalled('delete', id);
    expect((await d.ctr(['container', 'list', '--quiet'])).stdout).not.toContain(id);
  });

  it('a failing create: the runtime error reaches ctr through the log file, nothing is left', async () => {
    const id = d.id(`fail-${name}`);
    const r = await timed('failing create (no such binary)', () => d.ctr(['run', '--rm', ...flags, image(), id, '/nonexistent']));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('OCI runtime create failed');
    expect(r.stderr).toContain('exec: "/nonexistent": stat /nonexistent: no such file or directory');
    const id2 = d.id(`fail-${name}`);
    const r2 = await d.ctr(['run', '--rm', ...flags, image(), id2, 'nosuchcommand']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('exec: "nosuchcommand": executable file not found in $PATH');
  });

  it('run -d, task exec with --exec-id: output, exit code, the container cgroup', async () => {
    const id = d.id(`exec-${name}`);
    await timed('run -d', () => detached(id, ['sleep', '300']));
    const r = await timed('task exec (exit 5)', () => d.ctr(['task', 'exec', '--exec-id', 'e1', '--fifo-dir', d.fifoDir, id, 'sh', '-c', 'echo "pid1 $(cat /proc/1/comm)"; cat /proc/self/cgroup; exit 5']));
    const [pid1, ...cgroups] = r.stdout.split('\n');
    expect(pid1).toBe('pid1 sleep');
    expect(cgroups.join('\n')).toMatch(d.memoryCgroupLine(id));
    expect(r.code).toBe(5);
    expectCalled('exec', id);
    const bad = await d.ctr(['task', 'exec', '--exec-id', 'e2', '--fifo-dir', d.fifoDir, id, '/nonexistent']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('OCI runtime exec failed');
    expect(bad.stderr).toContain('stat /nonexistent: no such file or directory');
  });

  it('task exec -t: the exec process gets a terminal through the console socket', async () => {
    const id = d.id(`exect-${name}`);
    await detached(id, ['sleep', '300']);
    const r = await timed('task exec -t (exit 4)', () => d.ctrTty(['task', 'exec', '-t', '--exec-id', 't1', '--fifo-dir', d.fifoDir, id, 'sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo "tty $(tty)"; exit 4']));
    // ctr's own complaints (a resize racing the exit) share the terminal: the line, anywhere.
    expect(tidy(r)).toMatch(/^tty \/dev\/pts\/\d+$/m);
    expect(r.code).toBe(4);
    expectCalled('exec', id);
    if (isOcirun) expect(d.runtimeCalls().some((c) => c.includes(' exec ') && c.includes('--console-socket'))).toBe(true);
  });

  it('run -t: the container gets its terminal through the console socket; exit code propagated', async () => {
    const id = d.id(`tty-${name}`);
    const r = await timed('run --rm -t (exit 6)', () => d.ctrTty(['run', '--rm', '-t', ...flags, image(), id, 'sh', '-c', '[ -t 0 ] && echo "tty $(tty)"; exit 6']));
    expect(tidy(r)).toMatch(/^tty \/dev\/pts\/0$/m);
    expect(r.code).toBe(6);
    if (isOcirun) expect(d.runtimeCalls().some((c) => c.includes(' create ') && c.includes('--console-socket') && c.endsWith(` ${id}`))).toBe(true);
  });

  it('task ps lists the init and an exec -d process by host pid', async () => {
    const id = d.id(`ps-${name}`);
    const init = await detached(id, ['sleep', '300']);
    const ex = await d.ctr(['task', 'exec', '--detach', '--exec-id', 'bg', '--fifo-dir', d.fifoDir, id, 'sleep', '301']);
    expect(ex.code).toBe(0);
    const ps = await timed('task ps', () => d.ctr(['task', 'ps', id]));
    expect(ps.code).toBe(0);
    const pids = ps.stdout.split('\n').slice(1).map((l) => Number(l.split(/\s+/)[0])).filter(Boolean).sort((a, b) => a - b);
    expect(pids).toHaveLength(2);
    expect(pids).toContain(init);
    const cmdlines = pids.map((p) => readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()).sort();
    expect(cmdlines).toEqual(['sleep 300', 'sleep 301']);
    expectCalled('ps', id);
  });

  it('task kill: SIGTERM reaches the init, whose exit code reaches the attached ctr', async () => {
    const id = d.id(`kill-${name}`);
    let attached: Promise<RunResult> | undefined;
    const script = 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done';
    attached = d.ctr(['run', '--rm', ...flags, image(), id, 'sh', '-c', script]);
    expect(await waitFor(async () => (await taskStatus(id)) === 'RUNNING', 15_000, 100)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const k = await timed('task kill (SIGTERM)', () => d.ctr(['task', 'kill', '--signal', 'SIGTERM', id]));
    expect(k.code).toBe(0);
    const r = await attached;
    expect(r.stdout).toBe('ready\ngot TERM\n');
    expect(r.code).toBe(7);
    expectCalled('kill', id);
  });

  it('task kill -a: every process of the container gets the signal', async () => {
    const id = d.id(`killa-${name}`);
    const init = await detached(id, ['sleep', '300']);
    await d.ctr(['task', 'exec', '--detach', '--exec-id', 'bg', '--fifo-dir', d.fifoDir, id, 'sleep', '301']);
    const procs = readFileSync(`${d.cgroupDir('pids', id)}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(procs).toHaveLength(2);
    const k = await timed('task kill -a (SIGKILL)', () => d.ctr(['task', 'kill', '--all', '--signal', 'SIGKILL', id]));
    expect(k.code).toBe(0);
    expect(await waitFor(() => procs.every((p) => !alive(p)), 5000)).toBe(true);
    expect(await waitFor(async () => (await taskStatus(id)) === 'STOPPED', 5000, 100)).toBe(true);
    if (isOcirun) expect(d.runtimeCalls()).toContainEqual(expect.stringMatching(new RegExp(` kill --all ${id} 9$`)));
    const del = await timed('task delete (stopped)', () => d.ctr(['task', 'delete', id]));
    expect(del.code).toBe(0);
    expect(del.stderr).toContain('exit code 137');
    expect(init).toBeGreaterThan(0);
    expect(existsSync(d.cgroupDir('pids', id))).toBe(false);
  });

  it('task delete -f of a running task kills it and removes its cgroup', async () => {
    const id = d.id(`delf-${name}`);
    const init = await detached(id, ['sleep', '300']);
    const del = await timed('task delete -f (running)', () => d.ctr(['task', 'delete', '--force', id]));
    expect(del.code).toBe(0);
    expect(alive(init)).toBe(false);
    expect(await taskStatus(id)).toBe('gone');
    expect(existsSync(d.cgroupDir('memory', id))).toBe(false);
    expectCalled('delete', id);
  });

  it('task pause/resume freeze and thaw the container cgroup', async () => {
    const id = d.id(`pause-${name}`);
    await detached(id, ['sleep', '300']);
    const p = await timed('task pause', () => d.ctr(['task', 'pause', id]));
    expect(p.code).toBe(0);
    expect(d.freezerState(id)).toBe('FROZEN');
    expect(await taskStatus(id)).toBe('PAUSED');
    const r = await timed('task resume', () => d.ctr(['task', 'resume', id]));
    expect(r.code).toBe(0);
    expect(d.freezerState(id)).toBe('THAWED');
    expect(await taskStatus(id)).toBe('RUNNING');
    expectCalled('pause', id);
    expectCalled('resume', id);
  });

  it('task delete -f of a paused task: the shim sends kill --all 9 and waits for the end', async () => {
    const id = d.id(`pausedel-${name}`);
    const init = await detached(id, ['sleep', '300']);
    expect((await d.ctr(['task', 'pause', id])).code).toBe(0);
    const del = await timed('task delete -f (paused)', () => d.ctr(['task', 'delete', '--force', id], { timeoutMs: 15_000 }));
    expect(del.signal).toBe(null);
    expect(del.code).toBe(0);
    expect(alive(init)).toBe(false);
    expect(existsSync(d.cgroupDir('freezer', id))).toBe(false);
  });

  it('--memory-limit is the container cgroup limit, and task metrics reports that cgroup', async () => {
    const id = d.id(`mem-${name}`);
    const limit = 48 * 1024 * 1024;
    await timed('run -d --memory-limit', () => detached(id, ['sleep', '300'], ['--memory-limit', String(limit)]));
    expect(d.memoryLimit(id)).toBe(String(limit));
    await d.ctr(['task', 'exec', '--detach', '--exec-id', 'bg', '--fifo-dir', d.fifoDir, id, 'sleep', '301']);
    const m = await timed('task metrics', () => d.ctr(['task', 'metrics', '--format', 'json', id]));
    expect(m.code).toBe(0);
    // The shim's v1 metrics carry memory.usage.limit; its v2 metrics memory.usage_limit.
    const metrics = JSON.parse(m.stdout) as { pids: { current: number }; memory: { usage: number | { limit: number }; usage_limit?: number } };
    const limitSeen = typeof metrics.memory.usage === 'object' ? metrics.memory.usage.limit : metrics.memory.usage_limit;
    // The container's two processes, not the shim's threads; the container's limit, not the host's.
    expect(metrics.pids.current).toBe(Number(readFileSync(`${d.cgroupDir('pids', id)}/pids.current`, 'utf8')));
    expect(metrics.pids.current).toBe(2);
    expect(limitSeen).toBe(limit);
  });

  it('--memory-limit enforced: the OOM kill ends the task with 137 and the shim reports the OOM event', async () => {
    const id = d.id(`oom-${name}`);
    const events = d.events();
    try {
      // The init holds the memory itself (a shell variable) and volunteers as the OOM victim.
      const hog = 'echo 1000 > /proc/self/oom_score_adj; x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived';
      const r = await timed('run --rm --memory-limit (OOM)', () => d.ctr(['run', '--rm', '--memory-limit', String(16 * 1024 * 1024), ...flags, image(), id, 'sh', '-c', hog]));
      expect(r.stdout).toBe('');
      expect(r.code).toBe(137);
      expect(await waitFor(() => events.output().includes(`/tasks/oom {"container_id":"${id}"}`), 5000)).toBe(true);
    } finally {
      events.stop();
    }
  });

  it('--read-only: the rootfs is mounted read-only', async () => {
    const id = d.id(`ro-${name}`);
    const r = await timed('run --rm --read-only', () => d.ctr(['run', '--rm', '--read-only', ...flags, image(), id, 'sh', '-c', 'touch /x 2>&1; echo "touch $?"; grep " / / " /proc/self/mountinfo']));
    const [touch, code, root] = r.stdout.split('\n');
    expect(touch).toBe('touch: /x: Read-only file system');
    expect(code).toBe('touch 1');
    expect(root.split(' ')[5].split(',')).toContain('ro');
    expect(r.code).toBe(0);
  });

  it('--privileged: every capability of the bounding set and the host devices', async () => {
    const id = d.id(`priv-${name}`);
    const r = await timed('run --rm --privileged', () => d.ctr(['run', '--rm', '--privileged', ...flags, image(), id, 'sh', '-c', 'cat /proc/self/status; echo ==; ls /dev']));
    expect(r.code).toBe(0);
    const [status, dev] = r.stdout.split('==\n');
    const own = statusFields(readFileSync('/proc/self/status', 'utf8'));
    expect(statusFields(status).CapEff).toBe(own.CapBnd);
    expect(statusFields(status).Seccomp).toBe('0');
    // The host's devices (a non-privileged container has only the default few).
    expect(dev.split('\n').filter(Boolean).length).toBeGreaterThan(30);
  });

  it("--seccomp: containerd's default profile is in force", async () => {
    const id = d.id(`sec-${name}`);
    const probe = 'grep -E "^Seccomp:" /proc/self/status; unshare -U true 2>&1; echo "unshare $?"';
    const r = await timed('run --rm --seccomp', () => d.ctr(['run', '--rm', '--seccomp', ...flags, image(), id, 'sh', '-c', probe]));
    expect(r.code).toBe(0);
    // unshare is allowed only with CAP_SYS_ADMIN by the profile: EPERM, though a user namespace
    // needs no capability (the same probe without the profile succeeds).
    expect(r.stdout).toBe('Seccomp:\t2\nunshare: unshare(0x10000000): Operation not permitted\nunshare 1\n');
    const without = await d.ctr(['run', '--rm', ...flags, image(), d.id(`nosec-${name}`), 'sh', '-c', probe]);
    expect(without.stdout).toBe('Seccomp:\t0\nunshare 0\n');
  });
});

it('the shim found nothing to complain about in the runtime log files', () => {
  // The daemon log carries the shims' output: a runtime that wrote non-JSON or unparsable lines
  // to --log would show as "failed to" warnings from the shim's log reader.
  expect(d.daemonLog()).not.toMatch(/failed to (read|decode|parse).*log/i);
});
