// A bind source swapped for a symlink after the runtime checked it: the plan holds the source's
// real path, resolved when it was made, and the executor opens it following no symlink
// (openat2 RESOLVE_NO_SYMLINKS), so a directory the attacker controls, turned into a link to a
// host directory in the window between check and use, fails the create instead of binding the
// host directory. The window is held open here: the cached plan is used as if the host facts it
// was made from still held (factsHold mocked), which is what a swap right after the check gives.
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useHarness } from '../support/harness.js';

vi.mock('../../lib/host/facts.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/host/facts.js')>();
  return { ...real, factsHold: () => true };
});

const h = useHarness('attack-bind-src');

/** Exit 7 when the container sees the host's secret at /data, 0 when it sees its own file. */
const PROBE = 'test -e /data/secret && exit 7; test -e /data/mine && exit 0; exit 3';

async function runOnce(bundle: string): Promise<number> {
  const c = await h.create(h.id(), bundle);
  await c.start();
  const { code } = await c.wait();
  await c.delete();
  return code ?? -1;
}

function secretDir(): string {
  const secret = h.dir('host-secret');
  writeFileSync(join(secret, 'secret'), 'host\n');
  return secret;
}

describe('bind source swapped for a symlink between check and use', () => {
  for (const where of ['the source itself', 'a directory above it'] as const) {
    it(`${where}: the create fails (ELOOP), the host directory is never bound`, async () => {
      const base = h.dir('base');
      const swapped = where === 'the source itself' ? join(base, 'src') : base;
      const source = join(base, 'src');
      mkdirSync(source);
      writeFileSync(join(source, 'mine'), 'mine\n');
      const bundle = h.bundle((s) => {
        s.process!.args = ['sh', '-c', PROBE];
        s.mounts!.push({ destination: '/data', type: 'bind', source, options: ['rbind', 'ro'] });
      });
      // Planned (and cached) while the source is an ordinary directory.
      expect(await runOnce(bundle)).toBe(0);

      // The attacker swaps the checked path for a symlink to a host directory.
      const secret = secretDir();
      renameSync(swapped, `${swapped}.moved`);
      if (where === 'the source itself') symlinkSync(secret, swapped);
      else {
        mkdirSync(join(secret, 'src'));
        writeFileSync(join(secret, 'src', 'secret'), 'host\n');
        symlinkSync(secret, swapped);
      }
      const id = h.id();
      await expect(h.create(id, bundle)).rejects.toThrow(
        `create: mount ${source} on /data: open the source as resolved when planned, following no symlink (ELOOP: a component became a symlink since): too many levels of symbolic links`,
      );
      await h.rt.load(id).then((c) => c.delete({ force: true }), () => {});
    });
  }
});
