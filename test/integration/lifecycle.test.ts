// The lifecycle of runtime.md through the CLI (and the library where it differs): create parks
// the program until start, state follows the facts, kill/delete/list/run behave as runc's.
import { closeSync, constants as fsc, openSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import AjvModule from 'ajv-draft-04';

// ajv-draft-04 is CommonJS with a default export: under NodeNext its class is the default's default
const Ajv = AjvModule.default;
import { describe, expect, it } from 'vitest';
import { alive, CLI, REPO, useHarness, waitFor, type Patch } from '../support/harness.js';

const h = useHarness('life');

/** A container whose program reports through a bind-mounted host dir `/mark`. */
function markedBundle(script: string, extra?: Patch): { bundle: string; mark: string } {
  const mark = h.dir('mark');
  const bundle = h.bundle((s) => {
    s.process!.args = ['sh', '-c', script];
    s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['bind'] });
    extra?.(s);
  });
  return { bundle, mark };
}

async function state(id: string): Promise<Record<string, any>> {
  const r = await h.cli(['state', id]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

async function ok(args: string[]): Promise<string> {
  const r = await h.cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.stdout;
}

const WAIT_FOR_STOP = 'touch /mark/started; while [ ! -e /mark/stop ]; do sleep 0.05; done';

function validateState(doc: unknown): string[] {
  const ajv = new Ajv({ strict: false });
  ajv.addSchema(JSON.parse(readFileSync(join(REPO, 'spec-schemas/defs.json'), 'utf8')), 'defs.json');
  const validate = ajv.compile(JSON.parse(readFileSync(join(REPO, 'spec-schemas/state-schema.json'), 'utf8')));
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('create, start, state, exit, delete', () => {
  it('the program runs only after start; state goes created → running → stopped', async () => {
    const id = h.id();
    const { bundle, mark } = markedBundle(WAIT_FOR_STOP);
    await ok(['create', '--bundle', bundle, id]);
    const created = await state(id);
    expect(created.status).toBe('created');
    expect(alive(created.pid)).toBe(true);
    expect(validateState(created)).toEqual([]);
    expect(created).toMatchObject({ ociVersion: '1.3.0', id, bundle, pid: expect.any(Number) });
    // Parked: the program has not run.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(mark, 'started'))).toBe(false);

    await ok(['start', id]);
    expect(await waitFor(() => existsSync(join(mark, 'started')), 10_000)).toBe(true);
    const running = await state(id);
    expect(running).toMatchObject({ status: 'running', pid: created.pid });
    expect(validateState(running)).toEqual([]);

    writeFileSync(join(mark, 'stop'), '');
    expect(await waitFor(() => !alive(created.pid), 10_000)).toBe(true);
    const stopped = await state(id);
    expect(stopped.status).toBe('stopped');
    expect(validateState(stopped)).toEqual([]);

    await ok(['delete', id]);
    expect(existsSync(join(h.root, id))).toBe(false);
    const gone = await h.cli(['state', id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/does not exist/);
    h.expectClean();
  });

  it('the same through the library API', async () => {
    const id = h.id();
    const { bundle, mark } = markedBundle(WAIT_FOR_STOP);
    const created = await h.rt.create(id, bundle);
    h.track(created.pid);
    expect((await created.state()).status).toBe('created');
    expect(existsSync(join(mark, 'started'))).toBe(false);
    await created.start();
    expect(await waitFor(() => existsSync(join(mark, 'started')), 10_000)).toBe(true);
    expect((await h.state(id)).status).toBe('running');
    expect((await h.rt.list()).map((s) => s.id)).toContain(id);
    writeFileSync(join(mark, 'stop'), '');
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
    expect((await created.state()).pid).toBe(0);
    await created.delete();
    expect(await h.rt.list()).toEqual([]);
  });

  it('run (library) returns a handle whose wait() gives the exit status', async () => {
    const id = h.id();
    const handle = await h.rt.run(id, h.bundle((s) => (s.process!.args = ['sh', '-c', 'exit 9'])));
    h.track(handle.pid);
    expect(await handle.wait()).toEqual({ code: 9, signal: null });
    expect((await handle.state()).status).toBe('stopped');
    await handle.delete();
  });

  it('--pid-file holds the pid as digits only, no newline', async () => {
    const id = h.id();
    const pidFile = join(h.dir('pid'), 'pid');
    await ok(['create', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), '--pid-file', pidFile, id]);
    const text = readFileSync(pidFile, 'utf8');
    expect(text).toMatch(/^\d+$/);
    expect(Number(text)).toBe((await state(id)).pid);
  });

  it('state carries the annotations of config.json', async () => {
    const id = h.id();
    await ok(['create', '--bundle', h.bundle((s) => {
      s.process!.args = ['sleep', '30'];
      s.annotations = { 'org.example.key': 'value' };
    }), id]);
    const st = await state(id);
    expect(st.annotations).toEqual({ 'org.example.key': 'value' });
    expect(validateState(st)).toEqual([]);
  });
});

describe('kill', () => {
  const TRAPS = 'trap "echo TERM >> /mark/sig" TERM; trap "echo USR1 >> /mark/sig" USR1; touch /mark/started; while :; do sleep 0.05; done';

  it('signal names with or without SIG, any case, and numbers', async () => {
    const id = h.id();
    const { bundle, mark } = markedBundle(TRAPS);
    await ok(['run', '--detach', '--bundle', bundle, id]);
    expect(await waitFor(() => existsSync(join(mark, 'started')), 10_000)).toBe(true);
    const sigs = () => (existsSync(join(mark, 'sig')) ? readFileSync(join(mark, 'sig'), 'utf8').trim().split('\n') : []);
    const sent = ['TERM', 'SIGTERM', 'sigterm', '15', 'USR1', 'SIGUSR1', '10'];
    for (const [i, sig] of sent.entries()) {
      await ok(['kill', id, sig]);
      expect(await waitFor(() => sigs().length === i + 1, 10_000), `signal ${sig}`).toBe(true);
    }
    expect(sigs()).toEqual(['TERM', 'TERM', 'TERM', 'TERM', 'USR1', 'USR1', 'USR1']);
    // Default signal: SIGTERM.
    await ok(['kill', id]);
    expect(await waitFor(() => sigs().length === 8, 10_000)).toBe(true);
    expect(sigs()[7]).toBe('TERM');
    const pid = (await state(id)).pid;
    await ok(['kill', id, 'KILL']);
    expect(await waitFor(() => !alive(pid), 10_000)).toBe(true);
    expect((await state(id)).status).toBe('stopped');
  });

  it.each(['SIGKILL', '9', 'kill'])('kill %s stops the container', async (sig) => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    await ok(['kill', id, sig]);
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
  });

  it('a created container can be killed before start; its program never runs', async () => {
    const id = h.id();
    const { bundle, mark } = markedBundle('touch /mark/started');
    await ok(['create', '--bundle', bundle, id]);
    await ok(['kill', id, 'KILL']);
    expect(await waitFor(async () => (await h.state(id)).status === 'stopped', 10_000)).toBe(true);
    expect(existsSync(join(mark, 'started'))).toBe(false);
    await ok(['delete', id]);
    h.expectClean();
  });

  it('an unknown signal is an error', async () => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    const r = await h.cli(['kill', id, 'SIGNOPE']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid signal "SIGNOPE"/);
    expect((await state(id)).status).toBe('running');
  });

  it('--all signals every process of the container', async () => {
    const id = h.id();
    const { bundle, mark } = markedBundle('sleep 100 & sleep 100 & touch /mark/started; wait');
    await ok(['run', '--detach', '--bundle', bundle, id]);
    expect(await waitFor(() => existsSync(join(mark, 'started')), 10_000)).toBe(true);
    // Three processes carry the container's environment: the shell and two sleeps.
    expect(h.leftovers().processes).toHaveLength(3);
    await ok(['kill', '--all', id, 'KILL']);
    expect(await waitFor(() => h.leftovers().processes.length === 0, 10_000)).toBe(true);
    expect((await state(id)).status).toBe('stopped');
  });
});

describe('delete', () => {
  it('refuses a running container; --force kills it and removes everything', async () => {
    const id = h.id();
    await ok(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    const pid = (await state(id)).pid;
    const r = await h.cli(['delete', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot delete container .* that is not stopped: running/);
    expect((await state(id)).status).toBe('running');
    await ok(['delete', '--force', id]);
    expect(alive(pid)).toBe(false);
    h.expectClean();
  });

  it('--force on a created container and on an unknown id', async () => {
    const id = h.id();
    await ok(['create', '--bundle', h.bundle(), id]);
    await ok(['delete', '--force', id]);
    h.expectClean();
    await ok(['delete', '--force', 'never-existed']);
  });
});

describe('list', () => {
  it('table, json and quiet', async () => {
    const a = h.id('list');
    const b = h.id('list');
    const bundle = h.bundle((s) => (s.process!.args = ['sleep', '30']));
    await ok(['create', '--bundle', bundle, a]);
    await ok(['run', '--detach', '--bundle', bundle, b]);
    const table = (await ok(['list'])).trim().split('\n');
    expect(table[0].split(/\s+/)).toEqual(['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']);
    const rows = table.slice(1).map((l) => l.split(/\s+/));
    expect(rows.map((r) => [r[0], r[2], r[3], r[5]])).toEqual([
      [a, 'created', bundle, 'root'],
      [b, 'running', bundle, 'root'],
    ]);
    const json = JSON.parse(await ok(['list', '--format', 'json']));
    expect(json.map((s: any) => [s.id, s.status])).toEqual([[a, 'created'], [b, 'running']]);
    expect(await ok(['list', '-q'])).toBe(`${a}\n${b}\n`);
  });
});

describe('run', () => {
  it('foreground: exit code passes through and the container is deleted', async () => {
    const r = await h.sh('exit 7');
    expect(r.code).toBe(7);
    h.expectClean();
  });

  it('foreground run loads no builtin it does not use (child_process, net, dgram, tty, stream)', () => {
    const dir = h.dir('modules');
    const list = join(dir, 'modules.json');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
    // Output to a file: a pipe would make Node itself load net for process.stdout.
    const out = openSync(join(dir, 'out'), 'w');
    let r;
    try {
      r = spawnSync(process.execPath, ['-r', preload, CLI, '--root', h.root, 'run', '--bundle', h.bundle((s) => (s.process!.args = ['true'])), h.id()], { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    expect(r.status, readFileSync(join(dir, 'out'), 'utf8')).toBe(0);
    const loaded: string[] = JSON.parse(readFileSync(list, 'utf8'));
    expect(loaded).toContain('Internal Binding signal_wrap');
    expect(loaded.filter((m) => /^NativeModule (child_process|net|dgram|tty|stream)$/.test(m))).toEqual([]);
  });

  it('--detach returns while the container runs', async () => {
    const id = h.id();
    const t0 = Date.now();
    await ok(['run', '-d', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '30'])), id]);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect((await state(id)).status).toBe('running');
  });

  it('foreground run forwards SIGTERM: the program dies of it (exit 143)', async () => {
    const { bundle, mark } = markedBundle('touch /mark/started; exec sleep 30', (s) => {
      // pid 1 of a pid namespace ignores SIGTERM without a handler: share the host's.
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
    });
    const r = await h.cli(['run', '--bundle', bundle, h.id()], {
      onSpawn: (child) => {
        void waitFor(() => existsSync(join(mark, 'started')), 10_000).then(() => child.kill('SIGTERM'));
      },
    });
    expect(r.code).toBe(143);
    h.expectClean();
  });

  it('foreground run forwards a signal that came while the container was being created', async () => {
    // --log names a FIFO: the first line written to it (with --debug, a planning warning goes
    // there too) blocks ocirun until the test reads it, and the SIGTERM sent meanwhile is pending
    // in Node's event loop, not yet seen by any listener, when the container starts.
    const fifo = join(h.dir('fifo'), 'log');
    execFileSync('mkfifo', [fifo]);
    const { bundle } = markedBundle('exec sleep 30', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      // An option a bind mount ignores: create warns about it.
      s.mounts!.find((m) => m.destination === '/mark')!.options!.push('mode=700');
    });
    let log = '';
    let reader: Socket | undefined;
    const r = await h.cli(['--log', fifo, '--debug', 'run', '--bundle', bundle, h.id()], {
      onSpawn: (child) => {
        void waitFor(() => readFileSync(`/proc/${child.pid}/wchan`, 'utf8') === 'wait_for_partner', 10_000).then(() => {
          child.kill('SIGTERM');
          // Read and write: the reader never sees end of file between ocirun's log lines (each
          // opens the file anew), so none of them blocks for want of a reader.
          reader = new Socket({ fd: openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK), readable: true, writable: false });
          reader.setEncoding('utf8').on('data', (d) => (log += d));
        });
      },
    });
    // Delivered as soon as the process exists: it may die before its first command.
    await waitFor(() => log.includes('exited'), 5000);
    reader?.destroy();
    expect(r.code).toBe(143);
    expect(log).toMatch(/options mode=700 have no effect on a bind mount/);
    h.expectClean();
  });
});

describe('--log', () => {
  it('--log FILE --log-format json writes {level,msg,time} lines on error', async () => {
    const log = join(h.dir('log'), 'log.json');
    const r = await h.cli(['--log', log, '--log-format', 'json', 'start', 'no-such-container']);
    expect(r.code).not.toBe(0);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(Object.keys(errors[0]).sort()).toEqual(['level', 'msg', 'time']);
    expect(errors[0].msg).toMatch(/no-such-container/);
    expect(new Date(errors[0].time).toISOString()).toBe(errors[0].time);
  });
});
