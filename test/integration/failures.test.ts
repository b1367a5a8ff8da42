// Failures: each gives a clear error naming the cause, and leaves no state dir, mount or process
// behind (checked right after the failure, before the harness's own cleanup).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Runtime } from '../../lib/index.js';
import { alive, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('fail');

async function ok(args: string[]): Promise<void> {
  const r = await h.cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
}

describe.each(['cli', 'library'] as const)('create failures via %s', (via) => {
  it('missing executable: runc\'s wording, nothing left', async () => {
    const r = await h.run((s) => (s.process!.args = ['no-such-program']), { via });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exec: "no-such-program": executable file not found in $PATH');
    h.expectClean();
  });

  it('missing executable by absolute path: runc\'s wording, nothing left', async () => {
    const r = await h.run((s) => (s.process!.args = ['/nonexistent']), { via });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('exec: "/nonexistent": stat /nonexistent: no such file or directory');
    h.expectClean();
  });

  it('bad mount source: the error names it, nothing left', async () => {
    const r = await h.run((s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/does/not/exist', options: ['bind'] }), { via });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/\/does\/not\/exist/);
    h.expectClean();
  });

  it('a filesystem the kernel refuses: the error names the mount, nothing left', async () => {
    const r = await h.run((s) => s.mounts!.push({ destination: '/data', type: 'no-such-fs', source: 'none' }), { via });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mount no-such-fs on \/data/);
    h.expectClean();
  });
});

describe('lifecycle failures', () => {
  it('duplicate id: refused, the first container is untouched', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => (s.process!.args = ['sleep', '30']));
    await ok(['create', '--bundle', bundle, id]);
    const before = await h.state(id);
    const r = await h.cli(['create', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container with given ID already exists');
    expect(await h.state(id)).toEqual(before);
    expect(alive(before.pid!)).toBe(true);
    // Only the first container's process exists.
    expect(h.leftovers().processes).toHaveLength(1);
    await expect(h.rt.create(id, bundle)).rejects.toMatchObject({ code: 'ERR_CONTAINER_EXISTS' });
  });

  it.each(['bad/id', '..', 'has space', ''])('bad id %j: refused, nothing created', async (bad) => {
    const r = await h.cli(['create', '--bundle', h.bundle(), bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/container id|missing/);
    h.expectClean();
    await expect(h.rt.create(bad, h.bundle())).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    h.expectClean();
  });

  it('a bad id is refused before any work: not even the plan cache is written', async () => {
    const root = join(h.dir('root'), 'state');
    const rt = new Runtime({ root });
    await expect(rt.create('bad/id', h.bundle())).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    await expect(rt.create('x'.repeat(1100), h.bundle())).rejects.toMatchObject({ code: 'ERR_INVALID_ID' });
    expect(existsSync(root)).toBe(false);
  });

  it('start twice: the second start is refused', async () => {
    const id = h.id();
    await ok(['create', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    await ok(['start', id]);
    const r = await h.cli(['start', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot start a container that is running/);
    expect((await h.state(id)).status).toBe('running');
  });

  it('start after the program exited is refused', async () => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['true'])), id]);
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
    const r = await h.cli(['start', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stopped/);
  });

  it('delete of a running container is refused and leaves it running', async () => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    const r = await h.cli(['delete', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not stopped/);
    expect((await h.state(id)).status).toBe('running');
    await expect((await h.rt.load(id)).delete()).rejects.toMatchObject({ code: 'ERR_CONTAINER_RUNNING' });
  });

  it('kill after exit: "container not running"', async () => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['true'])), id]);
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
    const r = await h.cli(['kill', id, 'KILL']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container not running');
    await expect((await h.rt.load(id)).kill('KILL')).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_RUNNING', message: `container not running: ${id}` });
    await ok(['delete', id]);
    h.expectClean();
  });

  it('operations on an unknown container name it', async () => {
    for (const verb of [['state'], ['start'], ['kill'], ['delete'], ['exec']]) {
      const r = await h.cli([...verb, 'ghost', ...(verb[0] === 'exec' ? ['true'] : [])]);
      expect(r.code, verb[0]).not.toBe(0);
      expect(r.stderr, verb[0]).toMatch(/container does not exist: ghost|ghost/);
    }
    h.expectClean();
  });

  it('a terminal config detached without a console socket is refused, as runc refuses it', async () => {
    const r = await h.run((s) => (s.process!.terminal = true), { flags: ['--detach'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot allocate tty if ocirun will detach without setting console socket');
    h.expectClean();
  });
});
