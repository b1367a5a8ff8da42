// README.md's library example, run as it is printed: the first ```js block of its "Library"
// section, imported as 'ocirun' (the package by name) by a program of its own.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAN_CACHE_DIR } from '../../lib/lifecycle/plan-cache.js';
import { REPO, spawnCollect, useHarness } from '../support/harness.js';

const h = useHarness('readme');

function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README.md: no ```js block in the Library section');
  return m[1];
}

describe("README's library example", () => {
  it('runs ten containers at once, captures their output, cancels one, and leaves nothing', async () => {
    const program = h.dir('program');
    // A project that has ocirun installed: node_modules/ocirun is this package.
    mkdirSync(join(program, 'node_modules'));
    symlinkSync(REPO, join(program, 'node_modules', 'ocirun'));
    writeFileSync(join(program, 'jobs.mjs'), readmeExample());
    const work = h.dir('work');
    // The base bundle: the test config (its token marks the containers' processes for cleanup).
    const r = await spawnCollect(process.execPath, [join(program, 'jobs.mjs'), h.bundle(), work], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual(
      Array.from({ length: 10 }, (_, i) => (i === 3 ? 'job-3: cancelled' : `job-${i}: exit 0, printed ${JSON.stringify(`job ${i}: hello from ocirun\n`)}`)),
    );
    expect(r.code).toBe(0);
    expect(readdirSync(join(work, 'state')).filter((n) => n !== PLAN_CACHE_DIR)).toEqual([]);
    h.expectClean();
  });
});
