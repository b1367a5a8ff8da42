// Finding build/validators.cjs from the sources (vitest) and from dist/, and the message when it
// was never built.
import { afterEach, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from '../lib/support/package-root.js';
import { loadValidators } from '../lib/validate/validators.js';

const ROOT = join(import.meta.dirname, '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

it('finds the package root from the sources', () => {
  expect(packageRoot()).toBe(ROOT);
  expect(typeof loadValidators().config).toBe('function');
});

it('finds it from a nested dist/ file and explains a missing build', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'ocirun-pkg-'));
  dirs.push(pkg);
  writeFileSync(join(pkg, 'package.json'), '{"type": "module"}');
  mkdirSync(join(pkg, 'dist', 'lib', 'validate'), { recursive: true });
  for (const f of ['validators.js', 'bundled.js']) cpSync(join(ROOT, 'dist', 'lib', 'validate', f), join(pkg, 'dist', 'lib', 'validate', f));
  mkdirSync(join(pkg, 'dist', 'lib', 'support'));
  for (const f of ['errors.js', 'support/package-root.js']) cpSync(join(ROOT, 'dist', 'lib', f), join(pkg, 'dist', 'lib', f));
  const probe = `import('./dist/lib/validate/validators.js').then((m) => { try { m.loadValidators(); console.log('loaded'); } catch (e) { console.log(e.code + ': ' + e.message); } })`;
  const missing = spawnSync(process.execPath, ['-e', probe], { cwd: pkg, encoding: 'utf8' });
  expect(missing.stdout.trim()).toBe(`ERR_NOT_SUPPORTED: the precompiled schema validators are missing (${join(pkg, 'build', 'validators.cjs')}); run \`npm run build\` in ${pkg}`);
  mkdirSync(join(pkg, 'build'));
  cpSync(join(ROOT, 'build', 'validators.cjs'), join(pkg, 'build', 'validators.cjs'));
  const present = spawnSync(process.execPath, ['-e', probe], { cwd: pkg, encoding: 'utf8' });
  expect(present.stdout.trim()).toBe('loaded');
});
