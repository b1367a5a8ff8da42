// Races a hostile image wins if the runtime checks a path and later uses it by name: a neighbour
// (another container sharing the rootfs, or a process on the host) swaps what the name means in
// between. Each test runs enough creates to catch a window that opens 3% of the time
// (0.97^150 < 1%) and counts the outcomes.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { startRacer } from '../support/race.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('attack-races');
const ROUNDS = 150;

describe('cwd swapped for a magic link during create (CVE-2024-21626)', () => {
  it('the cwd is never a directory of the host: the one checked is the one entered', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    mkdirSync(join(rootfs, 'data'));
    // Fd 5 of the executor is its O_PATH fd on the container's state directory (3: program,
    // 4: sync socket, 5: the exec fifo's directory).
    symlinkSync('/proc/self/fd/5', join(rootfs, 'swap'));
    const bundle = h.bundle(
      (s) => {
        s.process!.cwd = '/data';
        // In the host's state directory, state.json or exec.fifo is right here.
        s.process!.args = ['sh', '-c', 'if [ -e state.json ] || [ -e exec.fifo ]; then exit 7; fi'];
      },
      { rootfs },
    );
    const racer = await startRacer('exchange', join(rootfs, 'data'), join(rootfs, 'swap'));
    const outcomes: Record<string, number> = {};
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const id = h.id('cwd');
        let outcome: string;
        try {
          const c = await h.create(id, bundle);
          await c.start();
          const { code } = await c.wait();
          await c.delete();
          outcome = code === 7 ? 'ESCAPED: cwd in the host state dir' : `exit ${code}`;
        } catch (err) {
          outcome = (err as Error).message.replace(id, '<id>');
          await h.rt.load(id).then((c) => c.delete({ force: true })).catch(() => {});
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    } finally {
      await racer.stop();
    }
    expect(Object.keys(outcomes).filter((o) => o.startsWith('ESCAPED')), JSON.stringify(outcomes, null, 1)).toEqual([]);
    // Both ends of the race were seen: some creates ran in /data, some met the link.
    expect(outcomes['exit 0'], JSON.stringify(outcomes, null, 1)).toBeGreaterThan(0);
  }, 180_000);
});

describe('openat2 lookups raced by renames elsewhere (EAGAIN)', () => {
  it('a path through var/run -> ../run resolves while the host renames things: every create succeeds', async () => {
    const rootfs = copyRootfs(h.dir('rootfs'));
    // As images have it (Debian's var/run): a relative link that climbs with "..". RESOLVE_IN_ROOT
    // answers EAGAIN when a rename anywhere on the system raced the walk of "..".
    mkdirSync(join(rootfs, 'run'), { recursive: true });
    mkdirSync(join(rootfs, 'var'), { recursive: true });
    symlinkSync('../run', join(rootfs, 'var/run'));
    const bundle = h.bundle(
      (s) => {
        s.mounts!.push({ destination: '/var/run/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
        s.process!.cwd = '/var/run/data';
        s.process!.args = ['sh', '-c', 'test "$(pwd)" = /run/data && grep -q " /run/data tmpfs" /proc/mounts'];
      },
      { rootfs },
    );
    const spare = h.dir('spare');
    mkdirSync(join(spare, 'a'));
    const racer = await startRacer('rename', join(spare, 'a'), join(spare, 'b'));
    const outcomes: Record<string, number> = {};
    try {
      for (let i = 0; i < 60; i++) {
        const id = h.id('eagain');
        let outcome: string;
        try {
          const c = await h.create(id, bundle);
          await c.start();
          const { code } = await c.wait();
          await c.delete();
          outcome = `exit ${code}`;
        } catch (err) {
          outcome = (err as Error).message.replace(id, '<id>');
          await h.rt.load(id).then((c) => c.delete({ force: true })).catch(() => {});
        }
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
    } finally {
      await racer.stop();
    }
    expect(outcomes, JSON.stringify(outcomes, null, 1)).toEqual({ 'exit 0': 60 });
  }, 120_000);
});
