// Writes build/build-id: a digest of the compiled library (dist/ as tsc writes it), the schema
// validators, the executor and the addon. Cached plans (lib/lifecycle/plan-cache.ts) carry it in their key, so a
// rebuilt ocirun never reuses a plan made by another. dist/cli is left out: it is bundled from the
// same code, after this (its build-time code cache runs a container with a cached plan).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hash = createHash('sha256');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== join(root, 'dist', 'cli')) walk(p);
    } else if (e.name.endsWith('.js') || e.name.endsWith('.cjs')) files.push(p);
  }
};
walk(join(root, 'dist'));
files.push(join(root, 'build', 'validators.cjs'), join(root, 'build', 'ocirun-executor'), join(root, 'build', 'ocirun.node'));
for (const f of files.sort()) hash.update(f.slice(root.length)).update(readFileSync(f));
writeFileSync(join(root, 'build', 'build-id'), hash.digest('hex').slice(0, 32) + '\n');
