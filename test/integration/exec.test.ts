// exec: a new process in a running container, in all of its namespaces, with runc's flags and
// exit codes (the process's own; 255 when exec itself fails).
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '../support/harness.js';

const h = useHarness('exec');

let id = '';
let mark = '';
beforeEach(async () => {
  id = h.id('exec');
  mark = h.dir('mark');
  const bundle = h.bundle((s) => {
    s.process!.args = ['sleep', '60'];
    s.process!.env = [...s.process!.env!, 'FROM_CONFIG=yes'];
    s.hostname = 'exec-box';
    s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
    s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
  });
  const r = await h.cli(['run', '--detach', '--bundle', bundle, id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('exec', () => {
  it('runs the command with its arguments in the container\'s namespaces', async () => {
    const r = await h.cli(['exec', id, 'sh', '-c', 'echo "$0|$1"; hostname; echo $FROM_CONFIG; ps -o pid,comm | awk \'$1==1{print $2}\'', 'a b', 'c']);
    expect(r.stderr).toBe('');
    // Same pid namespace: pid 1 is the container's init; same uts namespace; config env.
    expect(r.stdout).toBe('a b|c\nexec-box\nyes\nsleep\n');
    expect(r.code).toBe(0);
  });

  it('--env, --cwd and --user', async () => {
    const r = await h.cli(['exec', '--env', 'EXTRA=1', '-e', 'FROM_CONFIG=replaced', '--cwd', '/tmp', '--user', '1000:2000', id, 'sh', '-c', 'echo $EXTRA $FROM_CONFIG; pwd; id -u; id -g']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1 replaced\n/tmp\n1000\n2000\n');
  });

  it('--process FILE', async () => {
    const file = join(h.dir('process'), 'process.json');
    writeFileSync(
      file,
      JSON.stringify({
        args: ['sh', '-c', 'echo $ONLY; pwd; id -u'],
        env: ['PATH=/bin', 'ONLY=from-file', `OCIRUN_TEST_TOKEN=${h.token}`],
        cwd: '/mark',
        user: { uid: 33, gid: 33 },
      }),
    );
    const r = await h.cli(['exec', '--process', file, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('from-file\n/mark\n33\n');
  });

  it('the exit code is the process\'s; 255 when exec itself fails', async () => {
    expect((await h.cli(['exec', id, 'sh', '-c', 'exit 3'])).code).toBe(3);
    const missing = await h.cli(['exec', id, 'no-such-binary']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain('exec: "no-such-binary": executable file not found in $PATH');
    // The failed exec left no process in the container.
    expect(h.leftovers().processes.filter((p) => !p.includes('sleep'))).toEqual([]);
  });

  it('stdio passes through', async () => {
    const r = await h.cli(['exec', id, 'sh', '-c', 'read l; echo "got $l"; echo oops >&2'], { input: 'line\n' });
    expect(r).toMatchObject({ stdout: 'got line\n', stderr: 'oops\n', code: 0 });
  });

  it('--detach and --pid-file', async () => {
    const pidFile = join(h.dir('pid'), 'exec.pid');
    const r = await h.cli(['exec', '--detach', '--pid-file', pidFile, id, 'sh', '-c', 'echo $$ > /mark/inner; sleep 0.3; touch /mark/done']);
    expect(r.code).toBe(0);
    expect(readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
    expect(await waitFor(() => safeExists(join(mark, 'done')), 10_000)).toBe(true);
    // Inside its pid namespace the process has a small pid of its own, not the host's.
    expect(Number(readFileSync(join(mark, 'inner'), 'utf8'))).not.toBe(Number(readFileSync(pidFile, 'utf8')));
  });

  it('--preserve-fds passes extra fds to the exec\'d process, and only those', async () => {
    const dir = h.dir('fds');
    const three = openSync(join(dir, 'three'), 'w');
    const four = openSync(join(dir, 'four'), 'w');
    try {
      const r = await h.cli(['exec', '--preserve-fds', '1', id, 'sh', '-c', 'ls /proc/$$/fd; true; echo via-three >&3'], { extraFds: [three, four] });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(['0', '1', '2', '3']);
      expect(readFileSync(join(dir, 'three'), 'utf8')).toBe('via-three\n');
    } finally {
      closeSync(three);
      closeSync(four);
    }
  });

  it('through the library: exec() returns a handle with the exit status', async () => {
    const container = await h.rt.load(id);
    const proc = { ...(await container.configProcess()), args: ['sh', '-c', 'echo lib > /mark/lib; exit 5'] };
    const handle = await container.exec(proc);
    h.track(handle.pid);
    expect(await handle.wait()).toEqual({ code: 5, signal: null });
    expect(readFileSync(join(mark, 'lib'), 'utf8')).toBe('lib\n');
  });

  it('ps lists the container\'s processes', async () => {
    const r = await h.cli(['ps', '--format', 'json', id]);
    expect(r.code).toBe(0);
    const pids = JSON.parse(r.stdout) as number[];
    expect(pids).toContain((await h.state(id)).pid);
  });

  it('exec in a stopped container is refused', async () => {
    await h.cli(['kill', id, 'KILL']);
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
    const r = await h.cli(['exec', id, 'true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/stopped/);
  });
});

function safeExists(p: string): boolean {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
}
