// runc's command-line contract, where clients depend on it: each case runs the same command line
// against runc (the reference, with a --root of its own) and ocirun, on the same bundle, and
// compares the exit codes and the shape of what they print.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCollect, useHarness, waitFor, type RunResult, type Patch } from '../support/harness.js';

const RUNC = '/usr/sbin/runc';
const haveRunc = existsSync(RUNC);
const h = useHarness('contract');
const runcRoot = join(h.tmp, 'runc-state');
const runcIds = new Set<string>();

type Runtime = 'runc' | 'ocirun';
const RUNTIMES: Runtime[] = ['runc', 'ocirun'];

/** The same command line (global flags first) for one runtime. */
function call(rt: Runtime, args: string[], globals: string[] = []): Promise<RunResult> {
  if (rt === 'ocirun') return h.cli([...globals, ...args]);
  return spawnCollect(RUNC, ['--root', runcRoot, ...globals, ...args]);
}

/** A detached container running `sleep` under each runtime; returns its id per runtime. */
async function running(patch?: Patch): Promise<Record<Runtime, string>> {
  const bundle = h.bundle((s) => {
    s.process!.args = ['sleep', '60'];
    patch?.(s);
  });
  const ids = {} as Record<Runtime, string>;
  for (const rt of RUNTIMES) {
    const id = h.id(rt);
    if (rt === 'runc') runcIds.add(id);
    const r = await call(rt, ['run', '--detach', '--bundle', bundle, id]);
    expect(r, `${rt} run --detach`).toMatchObject({ code: 0, stderr: '' });
    ids[rt] = id;
    // Started means released: the exec of the program itself follows.
    const pid = JSON.parse((await call(rt, ['state', id])).stdout).pid;
    expect(await waitFor(() => comm(pid) === 'sleep', 5000), `${rt}: sleep runs`).toBe(true);
  }
  return ids;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function stopped(): Promise<Record<Runtime, string>> {
  const ids = await running();
  for (const rt of RUNTIMES) {
    expect((await call(rt, ['kill', ids[rt], 'KILL'])).code).toBe(0);
    expect(await waitForStatus(rt, ids[rt], 'stopped')).toBe(true);
  }
  return ids;
}

async function waitForStatus(rt: Runtime, id: string, status: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const r = await call(rt, ['state', id]);
    if (r.code === 0 && JSON.parse(r.stdout).status === status) return true;
    await new Promise((s) => setTimeout(s, 50));
  }
  return false;
}

/** Runs `args(id)` for both runtimes; returns the results by runtime. */
async function both(ids: Record<Runtime, string> | undefined, args: (id: string) => string[], globals: (rt: Runtime) => string[] = () => []): Promise<Record<Runtime, RunResult>> {
  const out = {} as Record<Runtime, RunResult>;
  for (const rt of RUNTIMES) out[rt] = await call(rt, args(ids?.[rt] ?? ''), globals(rt));
  return out;
}

/** The error text as a person reads it: runc quotes it in a logrus line on stderr. */
function message(r: RunResult): string {
  return r.stderr.replace(/^time="[^"]*" level=\w+ msg=("(?:[^"\\]|\\.)*")$/gm, (_, quoted: string) => JSON.parse(quoted));
}

afterEach(async () => {
  for (const id of runcIds) await spawnCollect(RUNC, ['--root', runcRoot, 'delete', '--force', id]);
  runcIds.clear();
});

describe.skipIf(!haveRunc)('runc contract (side by side with runc)', () => {
  it('kill CT 0 on a running container succeeds (a liveness probe)', async () => {
    const ids = await running();
    const r = await both(ids, (id) => ['kill', id, '0']);
    for (const rt of RUNTIMES) expect(r[rt], rt).toMatchObject({ code: 0, stdout: '', stderr: '' });
    for (const rt of RUNTIMES) expect(await waitForStatus(rt, ids[rt], 'running'), rt).toBe(true);
  });

  it('on a stopped container: kill --all succeeds (9 and 0); kill CT 0 fails with "container not running"', async () => {
    const ids = await stopped();
    for (const sig of ['9', '0']) {
      const r = await both(ids, (id) => ['kill', '--all', id, sig]);
      for (const rt of RUNTIMES) expect(r[rt], `${rt} kill --all ${sig}`).toMatchObject({ code: 0, stdout: '' });
    }
    const r = await both(ids, (id) => ['kill', id, '0']);
    for (const rt of RUNTIMES) {
      expect(r[rt].code, rt).toBe(1);
      expect(message(r[rt]), rt).toContain('container not running');
    }
  });

  it('ps CT ARGS passes the words after the id to ps(1)', async () => {
    const ids = await running();
    const ex = await both(ids, (id) => ['ps', id, '-e', '-x']);
    const cols = await both(ids, (id) => ['ps', id, '-o', 'pid,comm']);
    for (const rt of RUNTIMES) {
      expect(ex[rt].code, `${rt}: ${ex[rt].stderr}`).toBe(0);
      // ps -e -x: PID TTY STAT TIME COMMAND, and the container's one process.
      const [header, ...lines] = ex[rt].stdout.trimEnd().split('\n');
      expect(header.trim().split(/\s+/), rt).toEqual(['PID', 'TTY', 'STAT', 'TIME', 'COMMAND']);
      expect(lines, rt).toHaveLength(1);
      expect(lines[0], rt).toMatch(/ sleep 60/);
      expect(cols[rt].code, rt).toBe(0);
      const shape = cols[rt].stdout.trim().split('\n').map((l) => l.trim().replace(/\d+/g, 'N').replace(/ +/g, ' '));
      expect(shape, rt).toEqual(['PID COMMAND', 'N sleep']);
    }
    // ps arguments without a PID column: an error from both.
    const noPid = await both(ids, (id) => ['ps', id, '-o', 'comm']);
    for (const rt of RUNTIMES) expect(noPid[rt].code, rt).toBe(1);
  });

  it('--debug writes level=debug lines: to stderr without --log, to the file with it (text and json)', async () => {
    const ids = await running();
    const plain = await both(ids, (id) => ['exec', id, 'true'], () => ['--debug']);
    for (const rt of RUNTIMES) {
      expect(plain[rt].code, rt).toBe(0);
      expect(plain[rt].stderr, rt).toMatch(/^time="[^"]+" level=debug msg=".+"$/m);
    }
    for (const format of ['text', 'json']) {
      const logs = { runc: join(h.dir('log'), 'log'), ocirun: join(h.dir('log'), 'log') };
      const r = await both(ids, (id) => ['exec', id, 'true'], (rt) => ['--debug', '--log', logs[rt], '--log-format', format]);
      for (const rt of RUNTIMES) {
        expect(r[rt], `${rt} ${format}`).toMatchObject({ code: 0, stderr: '' });
        expect(existsSync(logs[rt]), `${rt} ${format}: log file written`).toBe(true);
        const lines = readFileSync(logs[rt], 'utf8').trimEnd().split('\n');
        if (format === 'json') {
          for (const line of lines) expect(JSON.parse(line), `${rt}: ${line}`).toMatchObject({ level: 'debug', msg: expect.any(String), time: expect.any(String) });
        } else {
          for (const line of lines) expect(line, rt).toMatch(/^time="[^"]+" level=debug msg=".*"/);
        }
      }
    }
  });

  it('--log F --log-format json without --debug: a failed create leaves F as one JSON object, the error (podman reads it so)', async () => {
    // Resources make ocirun warn where it does not apply them; the warning must not reach the file.
    const bundle = h.bundle((s) => {
      s.process!.args = ['/no/such/program'];
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
    });
    for (const rt of RUNTIMES) {
      const log = join(h.dir('log'), 'log');
      const id = h.id(rt);
      if (rt === 'runc') runcIds.add(id);
      const r = await call(rt, ['create', '--bundle', bundle, id], ['--log', log, '--log-format', 'json']);
      expect(r.code, rt).toBe(1);
      const entry = JSON.parse(readFileSync(log, 'utf8'));
      expect(entry, rt).toMatchObject({ level: 'error', msg: expect.stringContaining('/no/such/program') });
      expect((await call(rt, ['state', id])).code, `${rt}: nothing left`).toBe(1);
    }
  });

  it('an unknown command, with -h or through help, exits 3: "No help topic"', async () => {
    for (const args of [['foo', '-h'], ['foo'], ['help', 'foo']]) {
      const r = await both(undefined, () => args);
      for (const rt of RUNTIMES) {
        expect(r[rt].code, `${rt} ${args.join(' ')}`).toBe(3);
        expect(message(r[rt]), rt).toContain("No help topic for 'foo'");
        expect(r[rt].stdout, rt).toBe('');
      }
    }
    // A bare call prints the help and succeeds.
    const bare = await both(undefined, () => []);
    for (const rt of RUNTIMES) expect(bare[rt].code, rt).toBe(0);
    for (const rt of RUNTIMES) expect(bare[rt].stdout, rt).toMatch(/^\s*(NAME|Usage)/m);
  });

  it('a directory as args[0] fails create: exec: "/etc": permission denied (and by PATH: not found)', async () => {
    for (const [args, env, words] of [
      [['/etc'], ['PATH=/bin'], 'exec: "/etc": permission denied'],
      [['etc'], ['PATH=/:/bin'], 'exec: "etc": executable file not found in $PATH'],
    ] as const) {
      const bundle = h.bundle((s) => {
        s.process!.args = [...args];
        s.process!.env = [...env];
      });
      for (const rt of RUNTIMES) {
        const id = h.id(rt);
        if (rt === 'runc') runcIds.add(id);
        const r = await call(rt, ['create', '--bundle', bundle, id]);
        expect(r.code, rt).toBe(1);
        expect(message(r), rt).toContain(words);
        expect((await call(rt, ['state', id])).code, `${rt}: nothing left`).toBe(1);
      }
    }
  });

  it('a PATH search skips a directory named like the program', async () => {
    const early = h.dir('path');
    mkdirSync(join(early, 'sh'));
    const r = await h.sh('echo found', (s) => {
      s.process!.env = ['PATH=/early:/bin'];
      s.mounts!.push({ destination: '/early', type: 'bind', source: early, options: ['bind', 'ro'] });
    });
    expect(r).toMatchObject({ code: 0, stdout: 'found\n', stderr: '' });
  });
});
