// README's test command names the same apt packages as .ci/run, which installs them on a fresh
// machine with --no-install-recommends: a package the tests need must be named in both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..');

/** The package names of every `apt-get install` line in `text`. */
function aptPackages(text: string): string[][] {
  return [...text.matchAll(/apt-get install ([^\n&>]*)/g)].map((m) => m[1].trim().split(/\s+/).filter((w) => !w.startsWith('-')).sort());
}

it("README's test command installs exactly what .ci/run installs", () => {
  const ci = aptPackages(readFileSync(join(REPO, '.ci', 'run'), 'utf8'));
  expect(ci).toHaveLength(1);
  expect(ci[0]).toContain('libc6-dev-arm64-cross');
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const test = aptPackages(readme).filter((pkgs) => pkgs.includes('busybox-static'));
  expect(test).toEqual([ci[0]]);
  expect(readme).toContain('apt-get install -y --no-install-recommends');
});
