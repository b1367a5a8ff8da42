// Plans are cached per bundle (lib/lifecycle/plan-cache.ts): in memory and under <root>/@plans for the CLI.
// A cached plan must never outlive what it was made from: config.json, or a host fact such as
// whether a bind source is a file or a directory.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAN_CACHE_DIR } from '../../lib/lifecycle/plan-cache.js';
import { useHarness } from '../support/harness.js';

const h = useHarness('cache');

async function run(bundle: string): Promise<string> {
  const r = await h.cli(['run', '--bundle', bundle, h.id()]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
const entries = () => readdirSync(join(h.root, PLAN_CACHE_DIR));

describe('plan cache', () => {
  it('a second container of a bundle reuses its plan; an edit to config.json takes effect at once', async () => {
    const before = safeEntries().length;
    const bundle = h.bundle((s) => {
      s.hostname = 'first';
      s.process!.args = ['hostname'];
    });
    expect(await run(bundle)).toBe('first\n');
    expect(safeEntries().length).toBe(before + 1);
    expect(await run(bundle)).toBe('first\n');
    expect(safeEntries().length).toBe(before + 1);

    writeFileSync(join(bundle, 'config.json'), JSON.stringify(h.spec((s) => ((s.hostname = 'second'), (s.process!.args = ['hostname'])))));
    expect(await run(bundle)).toBe('second\n');
    // One entry per bundle: the new plan replaced the old one.
    expect(safeEntries().length).toBe(before + 1);
  });

  it('is not reused once a host fact it was made from changes (a bind source turns into a directory)', async () => {
    const src = join(h.dir('src'), 'data');
    writeFileSync(src, 'a file\n');
    const bundle = h.bundle((s) => {
      // Under a fresh tmpfs: the mount target is made anew each run, not left in the rootfs.
      s.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs' });
      s.mounts!.push({ destination: '/mnt/data', type: 'bind', source: src, options: ['bind'] });
      s.process!.args = ['sh', '-c', 'if [ -d /mnt/data ]; then ls /mnt/data; else cat /mnt/data; fi'];
    });
    expect(await run(bundle)).toBe('a file\n');
    // The plan made a file to mount on; a directory needs a directory. A stale plan would fail.
    rmSync(src);
    mkdirSync(src);
    writeFileSync(join(src, 'inside'), '');
    expect(await run(bundle)).toBe('inside\n');
  });

  it('a damaged cache entry is ignored', async () => {
    const bundle = h.bundle((s) => (s.process!.args = ['echo', 'ok']));
    expect(await run(bundle)).toBe('ok\n');
    for (const e of safeEntries()) writeFileSync(join(h.root, PLAN_CACHE_DIR, e), 'garbage');
    expect(await run(bundle)).toBe('ok\n');
    writeFileSync(join(h.root, PLAN_CACHE_DIR, safeEntries()[0]), Buffer.alloc(3));
    expect(await run(bundle)).toBe('ok\n');
  });

  it('an invalid config.json is reported every time and leaves no cache entry', async () => {
    const before = safeEntries().length;
    const bundle = h.bundle((s) => (s.process!.cwd = 'relative'));
    for (let i = 0; i < 2; i++) {
      const r = await h.cli(['run', '--bundle', bundle, h.id()]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/\/process\/cwd/);
    }
    expect(safeEntries().length).toBe(before);
  });
});

function safeEntries(): string[] {
  try {
    return entries();
  } catch {
    return [];
  }
}
