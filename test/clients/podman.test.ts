// podman 4.3 with conmon driving ocirun as its OCI runtime (containers.conf [engine.runtimes],
// runtime_supports_json): a private storage, run root and network, the busybox image imported
// offline, and the flows an operator uses, each asserting what the runtime did (exit codes,
// output, cgroup files, seccomp mode, mounts). runc runs the same flows in the same run, for the
// per-flow wall times side by side.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, waitFor, type RunResult } from '../support/harness.js';
import { missingBinaries, PrivatePodman } from '../support/podman.js';
import { mountAt } from '../support/probes.js';

// CI installs podman (.ci/run): a machine without it fails here rather than skipping.
const missing = missingBinaries();
if (missing.length) throw new Error(`podman client tests need ${missing.join(', ')} (apt-get install podman netavark iptables; .ci/run installs them)`);

const p = new PrivatePodman('pm');
const runtimes = [{ name: 'ocirun' }, { name: 'runc' }];
const timings = new Map<string, Record<string, number>>();
const FLOW_TIMEOUT = 120_000;

beforeAll(() => p.start(), 180_000);

afterEach(async () => {
  await p.removeAll();
  expect(await waitFor(() => p.leftovers().processes.length === 0, 10_000)).toBe(true);
  expect(p.leftovers()).toEqual({ processes: [], mounts: [], cgroups: [], state: [] });
}, 60_000);

afterAll(async () => {
  await p.stop();
  const rows = [...timings.entries()].map(([flow, t]) => `${flow.padEnd(36)} ${runtimes.map((r) => `${r.name} ${t[r.name] ?? '-'} ms`).join('   ')}`);
  console.log(`podman flows, wall time per runtime:\n${rows.join('\n')}`);
}, 60_000);

/** Terminal output: no \r. */
const tidy = (r: RunResult) => r.stdout.replace(/\r/g, '');

describe.each(runtimes)('podman 4.3 + conmon with $name', ({ name }) => {
  const isOcirun = name === 'ocirun';
  const img = p.image;
  const run = (args: string[]) => p.podman(['--runtime', name, ...args]);
  const runTty = (args: string[]) => p.podmanTty(['--runtime', name, ...args]);

  async function timed<T>(flow: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const out = await fn();
    timings.set(flow, { ...timings.get(flow), [name]: Math.round(performance.now() - t0) });
    return out;
  }

  /** `podman run -d`: the full container id. */
  async function detached(args: string[]): Promise<string> {
    const r = await run(['run', '-d', '--network', 'none', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim();
  }

  async function inspect(id: string, format: string): Promise<string> {
    const r = await p.podman(['inspect', '--format', format, id]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  }

  /** podman (or conmon) called the runtime with this verb for this container. */
  function expectCalled(verb: string, id: string, flag?: string): void {
    if (!isOcirun) return;
    const calls = p.runtimeCalls().filter((c) => c.split(' ').includes(verb) && c.includes(id));
    expect(calls, `${verb} ${id}`).not.toEqual([]);
    if (flag) expect(calls.some((c) => c.includes(flag)), `${verb} ${flag}`).toBe(true);
  }

  it('run --rm: output, exit code, podman\'s default seccomp profile in force', async () => {
    const r = await timed('run --rm (exit 3)', () => run(['run', '--rm', '--network', 'none', '--name', `rm-${name}`, img, 'sh', '-c', 'echo "hello from $(cat /proc/1/comm)"; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; exit 3']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello from sh\nNoNewPrivs:\t0\nSeccomp:\t2\n');
    expect(r.code).toBe(3);
    // The profile's errno for a syscall it refuses reaches the process.
    // A personality outside the profile's list fails with its defaultErrnoRet (ENOSYS).
    const denied = await run(['run', '--rm', '--network', 'none', img, 'sh', '-c', 'linux32 -R true 2>&1; echo rc=$?; linux32 true && echo allowed']);
    expect(denied.stdout).toMatch(/Function not implemented\nrc=1\nallowed\n$/);
    if (isOcirun) {
      const creates = p.runtimeCalls().filter((c) => c.includes(' create '));
      expect(creates.length).toBeGreaterThan(0);
      for (const c of creates) expect(c).toMatch(/^--log-format=json --log \S+ create --bundle \S+ --pid-file \S+ [0-9a-f]{64}$/);
    }
  }, FLOW_TIMEOUT);

  it('a command that cannot run: 127 and 126 with runc\'s messages', async () => {
    const notFound = await timed('run --rm (command not found)', () => run(['run', '--rm', '--network', 'none', img, 'nosuchcommand']));
    expect(notFound.code).toBe(127);
    expect(notFound.stderr).toContain('executable file not found in $PATH');
    const denied = await run(['run', '--rm', '--network', 'none', img, '/etc/passwd']);
    expect(denied.code).toBe(126);
    expect(denied.stderr).toContain('permission denied');
  }, FLOW_TIMEOUT);

  it('run -d, exec (-e, -u, -w, exit code), top, logs, stop, start, restart, kill, wait, rm', async () => {
    const script = 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.2; done';
    const id = await timed('run -d', () => detached(['--name', `life-${name}`, img, 'sh', '-c', script]));
    expectCalled('create', id);
    expectCalled('start', id);
    const ex = await timed('exec (-e -u -w, exit 5)', () => run(['exec', '-e', 'GREETING=hi', '-u', '1000:1000', '-w', '/tmp', id, 'sh', '-c', 'echo "$GREETING $(id -u):$(id -g) $(pwd) $(cat /proc/1/comm)"; exit 5']));
    expect(ex.stdout).toBe('hi 1000:1000 /tmp sh\n');
    expect(ex.code).toBe(5);
    expectCalled('exec', id, '--detach');
    const badExec = await run(['exec', id, 'nosuchcommand']);
    expect(badExec.code).toBe(127);
    expect(badExec.stderr).toContain('executable file not found in $PATH');

    const top = await timed('top', () => p.podman(['top', id, 'pid', 'args']));
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toMatch(/^\s*1\s+sh -c trap/m);
    const logs = await p.podman(['logs', id]);
    expect(logs.stdout).toBe('started\n');

    const stop = await timed('stop (SIGTERM handled)', () => p.podman(['stop', '--time', '10', id]));
    expect(stop.code, stop.stderr).toBe(0);
    expect(await inspect(id, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 7');
    expect((await p.podman(['logs', id])).stdout).toBe('started\ngot TERM\n');
    expectCalled('kill', id);

    const start = await timed('start', () => p.podman(['start', id]));
    expect(start.code, start.stderr).toBe(0);
    expect(await inspect(id, '{{.State.Status}}')).toBe('running');
    const pidBefore = Number(await inspect(id, '{{.State.Pid}}'));
    const restart = await timed('restart', () => p.podman(['restart', '--time', '10', id]));
    expect(restart.code, restart.stderr).toBe(0);
    const pid = Number(await inspect(id, '{{.State.Pid}}'));
    expect(pid).not.toBe(pidBefore);
    expect(alive(pid)).toBe(true);

    const wait = p.podman(['wait', id]);
    const kill = await timed('kill (SIGKILL)', () => p.podman(['kill', '--signal', 'KILL', id]));
    expect(kill.code, kill.stderr).toBe(0);
    const waited = await wait;
    expect(waited.stdout.trim()).toBe('137');
    expect(alive(pid)).toBe(false);
    if (isOcirun) expect(p.runtimeCalls()).toContainEqual(expect.stringMatching(new RegExp(`kill ${id} 9$`)));
    const rm = await timed('rm', () => p.podman(['rm', id]));
    expect(rm.code, rm.stderr).toBe(0);
    expectCalled('delete', id);
  }, FLOW_TIMEOUT);

  it('run -t and exec -t: a terminal through conmon\'s console socket', async () => {
    const r = await timed('run --rm -t (exit 6)', () => runTty(['run', '--rm', '-t', '--network', 'none', img, 'sh', '-c', '[ -t 0 ] && [ -t 1 ] && echo "tty $(tty) $(stty size)"; exit 6']));
    expect(tidy(r)).toBe('tty /dev/pts/0 24 80\n');
    expect(r.code).toBe(6);
    const id = await detached([img, 'sleep', '300']);
    const ex = await timed('exec -t (exit 4)', () => runTty(['exec', '-t', id, 'sh', '-c', '[ -t 0 ] && echo "tty $(tty)"; exit 4']));
    expect(tidy(ex)).toMatch(/^tty \/dev\/pts\/\d+\n$/);
    expect(ex.code).toBe(4);
    expectCalled('exec', id, '--console-socket');
    expectCalled('create', id);
  }, FLOW_TIMEOUT);

  it('--memory and --pids-limit: written to the container\'s cgroup, seen inside, enforced; update changes them', async () => {
    const id = await timed('run -d --memory --pids-limit', () => detached(['--memory', '64m', '--pids-limit', '50', img, 'sleep', '300']));
    expect(readFileSync(`${p.cgroupDir('memory', id)}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 << 20));
    expect(readFileSync(`${p.cgroupDir('pids', id)}/pids.max`, 'utf8').trim()).toBe('50');
    // From inside, where programs read them: without a cgroup namespace (podman's default on
    // v1), each hierarchy's mount is the container's own cgroup.
    const inside = await run(['exec', id, 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max']);
    expect(inside.stdout).toBe(`${64 << 20}\n50\n`);
    // The pids limit stops a fork loop at 50 processes.
    const forks = await run(['exec', id, 'sh', '-c', '(for i in $(seq 80); do sleep 300 >/dev/null 2>&1 & done) 2>&1 | grep -c "can.t fork"']);
    expect(Number(forks.stdout.trim())).toBeGreaterThan(0);
    expect(Number(readFileSync(`${p.cgroupDir('pids', id)}/pids.current`, 'utf8'))).toBeLessThanOrEqual(50);
    expect(readFileSync(`${p.cgroupDir('pids', id)}/pids.events`, 'utf8')).toMatch(/^max [1-9]\d*$/m);
    const upd = await timed('update --memory', () => p.podman(['update', '--memory', '128m', id]));
    expect(upd.code, upd.stderr).toBe(0);
    expect(readFileSync(`${p.cgroupDir('memory', id)}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(128 << 20));
    expectCalled('update', id, '--resources');
    // The memory limit: an allocation past it is OOM-killed.
    const oom = await timed('run --rm --memory (OOM)', () => run(['run', '--rm', '--network', 'none', '--memory', '32m', '--memory-swap', '32m', img, 'sh', '-c', 'head -c 200m /dev/zero | tail > /dev/null']));
    expect(oom.code).toBe(137);
  }, FLOW_TIMEOUT);

  it('pause and unpause freeze and thaw the container', async () => {
    const id = await detached([img, 'sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done']);
    const pause = await timed('pause', () => p.podman(['pause', id]));
    expect(pause.code, pause.stderr).toBe(0);
    expect(await inspect(id, '{{.State.Status}}')).toBe('paused');
    expect(readFileSync(`${p.cgroupDir('freezer', id)}/freezer.state`, 'utf8').trim()).toBe('FROZEN');
    expectCalled('pause', id);
    const unpause = await timed('unpause', () => p.podman(['unpause', id]));
    expect(unpause.code, unpause.stderr).toBe(0);
    expect(await inspect(id, '{{.State.Status}}')).toBe('running');
    expect(readFileSync(`${p.cgroupDir('freezer', id)}/freezer.state`, 'utf8').trim()).toBe('THAWED');
    expectCalled('resume', id);
    const a = await run(['exec', id, 'cat', '/tmp/count']);
    await new Promise((r) => setTimeout(r, 400));
    const b = await run(['exec', id, 'cat', '/tmp/count']);
    expect(Number(b.stdout)).toBeGreaterThan(Number(a.stdout));
  }, FLOW_TIMEOUT);

  it('--read-only: the root is read-only; /run, /tmp and /var/tmp are tmpfs copies of the image (tmpcopyup)', async () => {
    const r = await timed('run --rm --read-only', () => run(['run', '--rm', '--network', 'none', '--read-only', img, 'sh', '-c', 'cat /run/from-image; echo x > /run/new && echo run-writable; echo x > /tmp/new && echo tmp-writable; touch /new; cat /proc/self/mountinfo']));
    expect(r.stdout).toMatch(/^in the image\nrun-writable\ntmp-writable\n/);
    expect(r.stderr).toContain("touch: /new: Read-only file system");
    expect(r.code).toBe(0);
    expect(mountAt(r.stdout, '/')?.options).toContain('ro');
    for (const dir of ['/run', '/tmp', '/var/tmp']) expect(mountAt(r.stdout, dir)?.fstype, dir).toBe('tmpfs');
    if (isOcirun) {
      const config = p.runtimeCalls().find((c) => c.includes(' create '));
      expect(config).toBeDefined();
    }
  }, FLOW_TIMEOUT);

  it('--uidmap: the container\'s root is an unprivileged user of the host', async () => {
    const id = await timed('run -d --uidmap', () => detached(['--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536', img, 'sleep', '300']));
    const pid = Number(await inspect(id, '{{.State.Pid}}'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(status).toMatch(/^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
    const r = await run(['exec', id, 'sh', '-c', 'cat /proc/self/uid_map; id -u; stat -c %u /bin/busybox']);
    expect(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['0 100000 65536', '0', '0', '']);
  }, FLOW_TIMEOUT);

  it('run -i with --cap-drop ALL and --cgroupns private: stdin reaches the process, no capability, its cgroup is the root', async () => {
    const r = await timed('run --rm -i --cap-drop ALL --cgroupns private', () =>
      p.podman(['--runtime', name, 'run', '--rm', '-i', '--network', 'none', '--cap-drop', 'ALL', '--cgroupns', 'private', img, 'sh', '-c', 'cat; grep -E "^Cap(Eff|Bnd):" /proc/self/status; grep ":memory:" /proc/self/cgroup | cut -d: -f3'], { input: 'piped in\n' }),
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('piped in\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n/\n');
    expect(r.code).toBe(0);
  }, FLOW_TIMEOUT);

  it('exec --preserve-fds: an fd of the caller reaches the exec\'d process as fd 3', async () => {
    const id = await detached([img, 'sleep', '300']);
    const file = join(p.tmp, `preserved-${name}`);
    writeFileSync(file, 'through fd 3\n');
    const fd = openSync(file, 'r');
    try {
      const r = await timed('exec --preserve-fds 1', () => p.podman(['--runtime', name, 'exec', '--preserve-fds', '1', id, 'sh', '-c', 'cat <&3'], { extraFds: [fd] }));
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('through fd 3\n');
    } finally {
      closeSync(fd);
    }
    expectCalled('exec', id, '--preserve-fds');
  }, FLOW_TIMEOUT);

  it('--privileged: every capability of the bounding set, no seccomp filter, the host\'s devices', async () => {
    const bounding = /^CapBnd:\s+(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const r = await timed('run --rm --privileged', () => run(['run', '--rm', '--network', 'none', '--privileged', img, 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; [ -c /dev/kmsg ] && echo host-devices']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`CapEff:\t${bounding}\nSeccomp:\t0\nhost-devices\n`);
  }, FLOW_TIMEOUT);

  it('--device: the node is made and the device rules let the container use it', async () => {
    const r = await timed('run --rm --device', () => run(['run', '--rm', '--network', 'none', '--device', '/dev/zero:/dev/myzero:rw', img, 'sh', '-c', 'stat -c "%F %t,%T" /dev/myzero; head -c 3 /dev/myzero | wc -c; [ -e /dev/kmsg ] || echo no-kmsg']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('character special file 1,5\n3\nno-kmsg\n');
  }, FLOW_TIMEOUT);

  it('stats: podman reads the container\'s cgroup where the runtime placed it', async () => {
    const id = await detached(['--memory', '64m', img, 'sleep', '300']);
    const r = await timed('stats --no-stream', () => p.podman(['stats', '--no-stream', '--format', '{{.ID}} {{.MemUsage}} {{.PIDs}}', id]));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} \\S+ / 67\\.11MB 1\\n$`));
  }, FLOW_TIMEOUT);

  it('the default bridge network (netavark): an address on eth0 and the gateway answers', async () => {
    const r = await timed('run --rm (bridge network)', () => run(['run', '--rm', img, 'sh', '-c', 'ip -4 -o addr show eth0; ping -c 1 -W 5 10.88.0.1 >/dev/null && echo gateway-ok']));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d+: eth0\s+inet 10\.88\.\d+\.\d+\/16 .*\ngateway-ok\n$/);
    expect(r.code).toBe(0);
  }, FLOW_TIMEOUT);
});
