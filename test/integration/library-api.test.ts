// The public library API (lib/index.ts) as a Node program uses it: handles, stdio, cancelling,
// reaping, the error model, locks and the subreaper mode.
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { isOciError, OciError, Runtime, type Container, type ExitStatus } from '../../lib/index.js';
import { alive, CLI, REPO, spawnCollect, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('api');

/** This process's children that are zombies (exited, not reaped). */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === process.pid && rest[0] === 'Z') out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/** A stream's text; `onData` runs at each chunk. */
function collect(stream: NodeJS.ReadableStream, onData?: () => void): Promise<string> {
  let out = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    out += d;
    onData?.();
  });
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

const sh = (script: string) => h.bundle((s) => (s.process!.args = ['sh', '-c', script]));

describe('many containers in one program', () => {
  it('20 at once with piped stdout: each one\'s output and exit code; one cancelled; nothing left', async () => {
    const CANCELLED = 7;
    const ids = Array.from({ length: 20 }, (_, i) => h.id(`many${i}`));
    const bundles = ids.map((_, i) => (i === CANCELLED ? sh('echo started; exec sleep 600') : sh(`echo "container ${i}"; exit ${i % 5}`)));
    const cancel = new AbortController();
    const exits = new Map<string, ExitStatus>();
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const c = await h.rt.run(id, bundles[i], { stdio: ['ignore', 'pipe', 'pipe'] });
        c.on('exit', (status) => exits.set(id, status));
        // Cancel once it has printed: the container is then killed and deleted by wait().
        const output = collect(c.stdout!, i === CANCELLED ? () => cancel.abort(new Error('enough')) : undefined);
        const errors = collect(c.stderr!);
        try {
          const status = await c.wait({ signal: i === CANCELLED ? cancel.signal : undefined });
          await c.delete();
          return { status, output: await output, errors: await errors };
        } catch (err) {
          return { error: err as OciError, output: await output };
        }
      }),
    );
    for (const [i, r] of results.entries()) {
      if (i === CANCELLED) {
        expect(r.error).toMatchObject({ code: 'ERR_ABORTED', message: `wait for ${ids[i]}: aborted` });
        expect((r.error!.cause as Error).message).toBe('enough');
        expect(r.output).toBe('started\n');
      } else {
        expect(r).toEqual({ status: { code: i % 5, signal: null }, output: `container ${i}\n`, errors: '' });
      }
    }
    // The 'exit' event came for every one, the cancelled one killed by SIGKILL.
    await waitFor(() => exits.size === 20, 5000);
    expect(exits.get(ids[CANCELLED])).toEqual({ code: null, signal: 'SIGKILL' });
    expect(exits.get(ids[3])).toEqual({ code: 3, signal: null });
    expect(zombieChildren()).toEqual([]);
    expect(await h.rt.list()).toEqual([]);
    h.expectClean();
  });

  it('created containers are reaped in the background: no zombie even when nobody waits', async () => {
    const c = await h.rt.run(h.id(), sh('exit 0'));
    const pid = c.pid;
    expect(await waitFor(() => !alive(pid) && !readdirSync('/proc').includes(String(pid)), 10_000)).toBe(true);
    expect(c.exitStatus).toEqual({ code: 0, signal: null });
    expect(zombieChildren()).toEqual([]);
    await c.delete();
  });
});

describe('stdio and extra files', () => {
  it('stdin pipe in, stdout to a stream without an fd, stderr to a file fd, an extra file at fd 3', async () => {
    const dir = h.dir('stdio');
    const errFile = join(dir, 'err');
    const extraFile = join(dir, 'extra');
    const errFd = openSync(errFile, 'w');
    const extraFd = openSync(extraFile, 'w');
    const out = new PassThrough();
    const collected = text(out);
    try {
      const c = await h.rt.run(h.id(), sh('read line; echo "got $line"; echo oops >&2; echo extra >&3'), {
        stdio: ['pipe', out, errFd],
        extraFiles: [extraFd],
      });
      c.stdin!.end('hello\n');
      expect(c.stdout).toBeNull();
      expect(await c.wait()).toEqual({ code: 0, signal: null });
      expect(await collected).toBe('got hello\n');
      await c.delete();
    } finally {
      closeSync(errFd);
      closeSync(extraFd);
    }
    expect(readFileSync(errFile, 'utf8')).toBe('oops\n');
    expect(readFileSync(extraFile, 'utf8')).toBe('extra\n');
  });

  it("'ignore' gives /dev/null; without extraFiles the container has no fd 3", async () => {
    const c = await h.rt.run(h.id(), sh('cat; readlink /proc/self/fd/0; ls /proc/self/fd/3 2>/dev/null && echo has-3; exit 0'), {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(await text(c.stdout!)).toBe('/dev/null\n');
    expect((await c.wait()).code).toBe(0);
    await c.delete();
  });

  it('exec with piped stdio through a handle; its wait and exit event', async () => {
    const c = await h.rt.run(h.id(), sh('exec sleep 600'));
    // configProcess gives a copy each time: changing one leaves the container's record as it was.
    const first = await c.configProcess();
    first.env!.push('CHANGED=1');
    first.args!.length = 0;
    expect((await c.configProcess()).env).not.toContain('CHANGED=1');
    expect((await c.configProcess()).args).toEqual(['sh', '-c', 'exec sleep 600']);
    const p = await c.exec({ ...(await c.configProcess()), args: ['sh', '-c', 'echo in-exec; echo err-exec >&2; exit 4'] }, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<ExitStatus>((resolve) => p.once('exit', resolve));
    expect(await text(p.stdout!)).toBe('in-exec\n');
    expect(await text(p.stderr!)).toBe('err-exec\n');
    expect(await p.wait()).toEqual({ code: 4, signal: null });
    expect(await exited).toEqual({ code: 4, signal: null });
    await expect(p.kill()).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_RUNNING' });
    await c.delete({ force: true });
  });

  it('bad stdio is refused before anything is made', async () => {
    const id = h.id();
    await expect(h.rt.run(id, sh('true'), { stdio: ['pipe', 'bogus' as never, 'inherit'] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: `run ${id}: stdio[1]: expected 'inherit', 'pipe', 'ignore', an fd or a stream, not "bogus"`,
    });
    await expect(h.rt.run(id, sh('true'), { extraFiles: [new PassThrough()] })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: `run ${id}: extraFiles[0]: expected an fd or a stream that has one`,
    });
    h.expectClean();
  });
});

describe('cancelling', () => {
  it('create with a signal already aborted: ERR_ABORTED, nothing made', async () => {
    const id = h.id();
    const reason = new Error('changed my mind');
    await expect(h.rt.create(id, sh('true'), { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ code: 'ERR_ABORTED', cause: reason });
    h.expectClean();
  });

  it('create that times out while the container is set up: ERR_TIMEOUT, nothing left', async () => {
    const id = h.id();
    // A bundle never planned before: validation, planning and set-up take well over 1 ms.
    await expect(h.rt.create(id, sh('true'), { timeout: 1 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT', message: `create ${id}: timed out after 1 ms` });
    expect(zombieChildren()).toEqual([]);
    h.expectClean();
  });

  it('wait with a timeout kills and deletes the container', async () => {
    const c = await h.rt.run(h.id(), sh('exec sleep 600'));
    await expect(c.wait({ timeout: 200 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    await expect(c.state()).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_EXIST' });
    expect(c.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
    expect(zombieChildren()).toEqual([]);
    h.expectClean();
  });

  it('a start that cannot finish (its process stopped) times out; the container is removed', async () => {
    const c = await h.rt.create(h.id(), sh('true'));
    process.kill(c.pid, 'SIGSTOP');
    await expect(c.start({ timeout: 300 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    await waitFor(() => c.exitStatus !== undefined, 5000);
    expect(zombieChildren()).toEqual([]);
    h.expectClean();
  });

  it('bad timeouts and signals are refused', async () => {
    const id = h.id();
    await expect(h.rt.create(id, sh('true'), { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `create ${id}: timeout must be a number of milliseconds >= 0, not -1` });
    await expect(h.rt.create(id, sh('true'), { signal: 'x' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: `create ${id}: signal must be an AbortSignal` });
    h.expectClean();
  });
});

describe('locks', () => {
  it('delete --force while a start in the same process holds the lock: no deadlock', async () => {
    const c = await h.rt.create(h.id(), sh('true'));
    // The process cannot answer start: start waits, holding the container's lock.
    process.kill(c.pid, 'SIGSTOP');
    const started = c.start();
    await new Promise((r) => setTimeout(r, 100));
    const other = await h.rt.load(c.id);
    const t = Date.now();
    await other.delete({ force: true });
    expect(Date.now() - t).toBeLessThan(5000);
    await expect(started).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_RUNNING', message: `cannot start container ${c.id}: its process exited` });
    await waitFor(() => c.exitStatus !== undefined, 5000);
    expect(zombieChildren()).toEqual([]);
    h.expectClean();
  });

  it('starts of one container from two handles are serialized: one wins', async () => {
    const c = await h.rt.create(h.id(), sh('exec sleep 600'));
    const other = await h.rt.load(c.id);
    const results = await Promise.allSettled([c.start(), other.start()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'ERR_CONTAINER_RUNNING' } });
    await c.delete({ force: true });
  });
});

describe('handles', () => {
  it('a handle never acts on a later container that took the same id', async () => {
    const id = h.id();
    const first = await h.rt.run(id, sh('exec sleep 600'));
    await first.delete({ force: true });
    const second = await h.rt.run(id, sh('exec sleep 600'));
    await expect(first.kill('KILL')).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_EXIST' });
    await expect(first.state()).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_EXIST' });
    await first.delete({ force: true }); // already gone: no error with force
    await expect(first.delete()).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_EXIST' });
    expect((await second.state()).status).toBe('running');
    await second.delete({ force: true });
  });

  it('load() of a container another process created: state, kill, and wait sees it go', async () => {
    const id = h.id();
    const r = await h.cli(['run', '--detach', '--bundle', sh('exec sleep 600'), id]);
    expect(r.code).toBe(0);
    const c: Container = await h.rt.load(id);
    expect((await c.state()).status).toBe('running');
    expect(c.pid).toBe((await c.state()).pid);
    const exited = new Promise<ExitStatus>((resolve) => c.once('exit', resolve));
    await c.kill('SIGKILL');
    // Not our child: its status is its parent's (init's) to collect.
    expect(await c.wait({ timeout: 10_000 })).toEqual({ code: null, signal: null });
    expect(await exited).toEqual({ code: null, signal: null });
    expect((await c.state()).status).toBe('stopped');
    await c.delete();
    await expect(h.rt.load(id)).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_EXIST', message: `container does not exist: ${id}` });
  });
});

describe('errors', () => {
  it('raw fs errors are wrapped: ERR_SYSCALL with the syscall, errno name and path', async () => {
    const rt = new Runtime({ root: '/etc/passwd/x' });
    const err = await rt.load('c1').catch((e) => e);
    expect(isOciError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ERR_SYSCALL', syscall: 'stat', errnoCode: 'ENOTDIR', path: '/etc/passwd/x/c1' });
    expect((err as Error).cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('isOciError holds for another copy of the module, where instanceof does not', async () => {
    // The built package's errors.js is another module than the sources' (another copy of ocirun).
    const copy = (await import(join(REPO, 'dist/lib/errors.js'))) as typeof import('../../lib/errors.js');
    const foreign = new copy.OciError('ERR_INVALID_ID', 'x');
    expect(foreign instanceof OciError).toBe(false);
    expect(isOciError(foreign)).toBe(true);
    expect(isOciError(new Error('x'))).toBe(false);
    expect(isOciError({ code: 'ERR_INVALID_ID' })).toBe(false);
    expect(isOciError(null)).toBe(false);
  });

  it('the package root exports what a caller needs and not the internals', async () => {
    const api = await import('../../lib/index.js');
    for (const name of ['Runtime', 'Container', 'ContainerProcess', 'OciError', 'SystemCallError', 'isOciError', 'validateConfig', 'validateBundle', 'VERSION', 'SPEC_VERSION']) {
      expect(api, name).toHaveProperty(name);
    }
    const rt = new Runtime({ root: h.root });
    expect(Object.keys(rt)).toEqual([]);
    expect('store' in rt).toBe(false);
    expect('plans' in rt).toBe(false);
  });
});

describe('subreaper', () => {
  it('a container whose creating process exited is re-parented to a subreaper runtime, which reaps it with its status', async () => {
    const id = h.id();
    const bundle = sh('sleep 0.5; exit 7');
    const script = join(h.dir('sub'), 'subreaper.mjs');
    writeFileSync(
      script,
      `import { spawnSync } from 'node:child_process';
import { Runtime } from ${JSON.stringify(join(REPO, 'dist/lib/index.js'))};
const [root, id, bundle, cli] = process.argv.slice(2);
const rt = new Runtime({ root, subreaper: true });
const r = spawnSync(process.execPath, [cli, '--root', root, 'run', '--detach', '--bundle', bundle, id], { stdio: 'inherit' });
if (r.status !== 0) process.exit(100);
const c = await rt.load(id);
const status = await c.wait({ timeout: 20000 });
await c.delete();
console.log(JSON.stringify(status));
`,
    );
    const r = await spawnCollect(process.execPath, [script, h.root, id, bundle, CLI]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ code: 7, signal: null });
    expect(r.code).toBe(0);
  });
});
