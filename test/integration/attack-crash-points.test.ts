// A runtime killed (SIGKILL) at any step of create, start, exec or delete must leave a state that
// `delete --force` recovers completely: no process, cgroup, state directory or fifo is left (issue:
// a create killed at the wrong moment leaked the container process, and delete --force exited 0
// without killing it). Each step is found by watching for its side effect (the state directory,
// the cgroup, the fifo, the staged record, the container process, a hook's marker), then the CLI
// is killed at once; a sweep of kills at delays after create began covers the windows between.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostLayout } from '../../lib/cgroups/index.js';
import { ownCgroups } from '../../lib/cgroups/layout.js';
import { cgroupDirs } from '../../lib/cgroups/path.js';
import type { Spec } from '../../lib/spec/index.js';
import { CLI, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('attack-crash');

/** The container's cgroup directories (the default cgroupsPath, as create makes them). */
function cgroupsOf(id: string): string[] {
  return cgroupDirs(hostLayout(), undefined, id, ownCgroups).map((d) => d.dir);
}

function procsIn(dirs: string[]): number {
  let n = 0;
  for (const d of dirs) {
    try {
      n = Math.max(n, readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).length);
    } catch {
      // not made yet
    }
  }
  return n;
}

function stagedRecord(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => n.startsWith('.state.json.'));
  } catch {
    return false;
  }
}

/**
 * Runs the CLI with `args` and SIGKILLs it as soon as `when()` holds (checked on every turn of
 * the event loop), or after `afterMs`. Resolves with whether the kill came before it exited.
 */
function killWhen(args: string[], when: () => boolean, afterMs?: number): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--root', h.root, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
    let exited = false;
    let killed = false;
    const started = Date.now();
    const look = () => {
      if (exited) return;
      if (afterMs !== undefined ? Date.now() - started >= afterMs : when()) {
        killed = child.kill('SIGKILL');
        return;
      }
      setImmediate(look);
    };
    setImmediate(look);
    child.on('exit', () => {
      exited = true;
      resolve({ killed, stderr });
    });
  });
}

/** delete --force through the CLI must succeed, and nothing of the container may be left. */
async function expectRecovered(id: string, step: string): Promise<void> {
  const del = await h.cli(['delete', '--force', id]);
  expect(del.code, `${step}: delete --force: ${del.stderr}`).toBe(0);
  // Orphaned hook processes (a sleep) end on their own; container processes must be gone now.
  const clean = await waitFor(() => {
    const l = h.leftovers();
    return !l.stateDirs.length && !l.processes.length && !l.cgroups.length && !l.mounts.length;
  }, 2000);
  expect(clean ? {} : h.leftovers(), `${step}: left behind after delete --force`).toEqual({});
  expect(existsSync(join(h.root, id)), step).toBe(false);
  expect(cgroupsOf(id).filter((d) => existsSync(d)), step).toEqual([]);
}

function crashBundle(patch?: (s: Spec) => void): string {
  return h.bundle((s) => {
    s.process!.args = ['sleep', '600'];
    patch?.(s);
  });
}

describe('SIGKILL of create at each step, then delete --force', () => {
  const steps: [string, (id: string) => boolean][] = [
    ['state directory made', (id) => existsSync(join(h.root, id))],
    ['cgroup made', (id) => cgroupsOf(id).some((d) => existsSync(d))],
    ['exec fifo made', (id) => existsSync(join(h.root, id, 'exec.fifo'))],
    ['container process in its cgroup', (id) => procsIn(cgroupsOf(id)) > 0],
    ['record staged', (id) => stagedRecord(join(h.root, id))],
    ['state.json committed', (id) => existsSync(join(h.root, id, 'state.json'))],
  ];
  for (const [step, seen] of steps) {
    it(`killed once "${step}": nothing is left`, async () => {
      const bundle = crashBundle();
      let killedAt = 0;
      // The step's window is short: a few creates, so the kill lands in it at least once.
      for (let i = 0; i < 5; i++) {
        const id = h.id('create');
        const { killed } = await killWhen(['create', '--bundle', bundle, id], () => seen(id));
        if (killed) killedAt++;
        await expectRecovered(id, `create killed once ${step}`);
      }
      expect(killedAt, 'the kill came before create ended').toBeGreaterThan(0);
    }, 60_000);
  }

  it('killed while a createRuntime hook runs (the container process waits): nothing is left', async () => {
    const marker = join(h.dir('hook'), 'ran');
    const bundle = crashBundle((s) => {
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'touch "$M"; sleep 0.3'], env: [`M=${marker}`] }] };
    });
    const id = h.id('create');
    const { killed } = await killWhen(['create', '--bundle', bundle, id], () => existsSync(marker));
    expect(killed).toBe(true);
    await expectRecovered(id, 'create killed in a createRuntime hook');
  }, 30_000);

  it('killed at delays after the state directory appears (every 3 ms): nothing is left', async () => {
    const bundle = crashBundle();
    const outcomes: Record<string, number> = {};
    for (let ms = 0; ms < 102; ms += 3) {
      const id = h.id('sweep');
      let seenAt = 0;
      const { killed } = await killWhen(['create', '--bundle', bundle, id], () => {
        if (!seenAt && existsSync(join(h.root, id))) seenAt = performance.now();
        return seenAt > 0 && performance.now() - seenAt >= ms;
      });
      const seen = existsSync(join(h.root, id, 'state.json')) ? 'committed' : existsSync(join(h.root, id)) ? 'creating' : 'nothing';
      const key = killed ? `killed (${seen})` : 'finished';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      await expectRecovered(id, `create killed ${ms} ms after its state directory appeared`);
    }
    // The sweep reached the middle of create, not only before and after it.
    expect(outcomes['killed (creating)'] ?? 0, JSON.stringify(outcomes)).toBeGreaterThan(0);
  }, 240_000);
});

describe('SIGKILL of start, exec and delete, then delete --force', () => {
  async function created(patch?: (s: Spec) => void, mark?: string): Promise<string> {
    const bundle = crashBundle((s) => {
      if (mark) s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['rbind', 'rw'] });
      patch?.(s);
    });
    const id = h.id('made');
    const r = await h.cli(['create', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    return id;
  }

  it('start killed while a startContainer hook runs in the container', async () => {
    const mark = h.dir('mark');
    const id = await created((s) => {
      s.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'touch /mark/start; sleep 0.3'] }] };
    }, mark);
    const { killed } = await killWhen(['start', id], () => existsSync(join(mark, 'start')));
    expect(killed).toBe(true);
    await expectRecovered(id, 'start killed in a startContainer hook');
  }, 30_000);

  it('start killed once the program was released (the fifo read), and in a poststart hook', async () => {
    const marker = join(h.dir('hook'), 'ran');
    const id = await created((s) => {
      s.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', 'touch "$M"; sleep 0.3'], env: [`M=${marker}`] }] };
    });
    const { killed } = await killWhen(['start', id], () => existsSync(marker));
    expect(killed).toBe(true);
    await expectRecovered(id, 'start killed in a poststart hook');

    const id2 = await created();
    await killWhen(['start', id2], () => !existsSync(join(h.root, id2, 'exec.fifo')));
    await expectRecovered(id2, 'start killed once the fifo was gone');
  }, 30_000);

  it('exec killed once its process is in the container, and at delays', async () => {
    for (let i = 0; i < 6; i++) {
      const id = await created();
      const start = await h.cli(['start', id]);
      expect(start.code, start.stderr).toBe(0);
      const dirs = cgroupsOf(id);
      if (i === 0) await killWhen(['exec', id, 'sleep', '600'], () => procsIn(dirs) > 1);
      else await killWhen(['exec', id, 'sleep', '600'], () => false, i * 12);
      await expectRecovered(id, `exec killed (${i === 0 ? 'its process in the cgroup' : `after ${i * 12} ms`})`);
    }
  }, 60_000);

  it('delete --force killed at each of its steps, then again', async () => {
    const marker = join(h.dir('hook'), 'ran');
    const steps: [string, (id: string) => boolean][] = [
      ['container process gone', (id) => procsIn(cgroupsOf(id)) === 0],
      ['cgroup removed', (id) => !cgroupsOf(id).some((d) => existsSync(d))],
      ['state.json removed', (id) => !existsSync(join(h.root, id, 'state.json'))],
      ['poststop hook running', () => existsSync(marker)],
    ];
    for (const [step, seen] of steps) {
      const id = await created((s) => {
        s.hooks = { poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'touch "$M"; sleep 0.3'], env: [`M=${marker}`] }] };
      });
      expect((await h.cli(['start', id])).code).toBe(0);
      await killWhen(['delete', '--force', id], () => seen(id));
      await expectRecovered(id, `delete killed once ${step}`);
    }
  }, 60_000);
});
