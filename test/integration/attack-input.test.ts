// Hostile input from the caller or the image: ids that wrap to "unchanged", documents that would
// exhaust the runtime's stack or heap, strings the kernel would cut short. Each is refused with
// an error that names the JSON pointer or the flag, and nothing is left behind.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness('attack-input');

describe('ids that setresuid reads as "unchanged" (uid 4294967295 ran as root)', () => {
  it('config.json: uid, gid and additional gids above 2147483647 are refused, by pointer', async () => {
    const r = await h.run((s) => {
      s.process!.args = ['id'];
      s.process!.user = { uid: 4294967295, gid: 4294967295, additionalGids: [2147483648] };
    });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/\/process\/user\/uid: error: uid 4294967295 is out of range/);
    expect(r.stderr).toMatch(/\/process\/user\/gid: error: gid 4294967295 is out of range/);
    expect(r.stderr).toMatch(/\/process\/user\/additionalGids\/0: error: additional gid 2147483648 is out of range/);
    expect(r.code).not.toBe(0);
  });

  describe('exec', () => {
    let id = '';
    beforeEach(async () => {
      id = h.id();
      expect((await h.cli(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    });

    it('--user 4294967296 (truncated to 0) and 4294967295 (-1) are refused, naming the flag', async () => {
      for (const user of ['4294967296', '4294967295', '0:4294967295']) {
        const r = await h.cli(['exec', '--user', user, id, 'id', '-u']);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(new RegExp(`^ocirun: --user "${user}": (uid|gid) \\d+ is out of range`));
        expect(r.code).toBe(255);
      }
    });

    it('--process FILE with uid 4294967295 is refused with its line and pointer', async () => {
      const file = join(h.dir('proc'), 'process.json');
      writeFileSync(file, JSON.stringify({ args: ['id', '-u'], cwd: '/', user: { uid: 4294967295, gid: 0 } }, null, 2));
      const r = await h.cli(['exec', '--process', file, id]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${file}:8:5: /user/uid: error: uid 4294967295 is out of range`);
      expect(r.code).toBe(255);
    });
  });
});

describe('documents that crashed the runtime', () => {
  it('config.json nested 6000 deep: validate and create name the pointer (was RangeError)', async () => {
    const bundle = h.bundle();
    const file = join(bundle, 'config.json');
    const text = writeDeep(file, 6000);
    expect(text.length).toBeGreaterThan(12000);
    const v = await h.cli(['validate', bundle]);
    expect(v.stdout + v.stderr).toContain('/deep/0/0: error: nested more than 128 levels deep');
    expect(v.stderr).not.toMatch(/internal error|RangeError/);
    const r = await h.cli(['create', '--bundle', bundle, h.id()]);
    expect(r.stderr).toContain('/deep/0/0: error: nested more than 128 levels deep');
    expect(r.stderr).not.toMatch(/internal error|RangeError/);
    expect(r.code).not.toBe(0);
  });

  it("a NUL byte in a mount's type or options is refused by pointer (was an internal error)", async () => {
    const r = await h.run((s) => s.mounts!.push({ destination: '/x', type: 'tmp\0fs', source: 'tmpfs', options: ['nosuid\0,size=1'] }));
    const n = 7; // the index of the pushed mount in the default config's mounts
    expect(r.stderr).toContain(`/mounts/${n}/type: error: "tmp\\u0000fs" contains a NUL byte`);
    expect(r.stderr).toContain(`/mounts/${n}/options/0: error: "nosuid\\u0000,size=1" contains a NUL byte`);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).not.toBe(0);
  });

  it('--process FILE of the wrong shapes: every error names a pointer (was TypeError)', async () => {
    const id = h.id();
    expect((await h.cli(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    const cases: [unknown, RegExp][] = [
      [[], /\(document\): error: must be an object/],
      [{ args: 'sh', cwd: '/' }, /\/args: error: must be an array/],
      [{ args: ['sh'], cwd: '/', rlimits: [{ type: 'RLIMIT_NOFILE', soft: '1', hard: 1 }] }, /\/rlimits\/0\/soft: error/],
      [{ args: ['sh'], cwd: '/', capabilities: { bounding: 5 } }, /\/capabilities\/bounding: error/],
      [{ args: ['sh'], cwd: 5 }, /\/cwd: error/],
      [{ args: ['sh'], cwd: '/', user: null }, /\/user: error/],
    ];
    const dir = h.dir('proc');
    for (const [i, [proc, expected]] of cases.entries()) {
      const file = join(dir, `p${i}.json`);
      writeFileSync(file, JSON.stringify(proc));
      const r = await h.cli(['exec', '--process', file, id]);
      expect(r.stderr, JSON.stringify(proc)).toMatch(expected);
      expect(r.stderr).not.toMatch(/internal error|TypeError|BigInt/);
      expect(r.code).toBe(255);
    }
  });

  it('--preserve-fds 100000 and 2147483647 are refused at once, naming the flag (was TypeError; ~4 GB heap)', async () => {
    const id = h.id();
    expect((await h.cli(['run', '--detach', '--bundle', h.bundle((s) => (s.process!.args = ['sleep', '60'])), id])).code).toBe(0);
    for (const n of ['100000', '2147483647']) {
      const started = Date.now();
      for (const args of [['exec', '--preserve-fds', n, id, 'true'], ['run', '--preserve-fds', n, '--bundle', h.bundle(), h.id()]]) {
        const r = await h.cli(args);
        expect(r.stderr).toBe(`ocirun: invalid value "${n}" for flag --preserve-fds: at most 1000\n`);
        expect(r.code).not.toBe(0);
      }
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });
});

/** config.json with an extension field nested `depth` arrays deep. */
function writeDeep(file: string, depth: number): string {
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  const text = JSON.stringify(spec).replace(/}$/, `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  writeFileSync(file, text);
  return text;
}
