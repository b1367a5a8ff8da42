// Builds dist/conformance/: the conformance suite as one ES module with its own small runner
// (conformance/runner/), so the installed package runs it without vitest:
//   bin/ocirun-conformance.mjs   the suite, its harness, the runner and @vitest/expect + chai
//   fixtures/                    the stored `runc spec` config and the spec's state schema
// koffi stays external: it is a dependency of the package (a native module).
import { build } from 'esbuild';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'conformance');
const out = join(root, 'dist', 'conformance');

/** COVERAGE.md's clause rows: test ID → [{ ref, file, line, text, level }] */
export function clausesOf(markdown) {
  const map = {};
  let file = '';
  for (const line of markdown.split('\n')) {
    const h = /^##+ ([a-z-]+\.md)\b/.exec(line);
    if (h) file = h[1];
    else if (/^## /.test(line)) file = '';
    const row = /^\| ([A-Z]+\d+) \| (\d+) \| (.*) \| (MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)[^|]*\| (.*) \|$/.exec(line);
    if (!row || !file) continue;
    for (const m of row[5].matchAll(/`([A-Z]+-[A-Za-z0-9_.-]+)`/g)) {
      (map[m[1]] ??= []).push({ ref: row[1], file, line: Number(row[2]), text: row[3], level: row[4] });
    }
  }
  return map;
}

const testFiles = readdirSync(join(src, 'tests')).filter((f) => f.endsWith('.test.ts')).sort();

const virtual = {
  name: 'conformance-virtual',
  setup(b) {
    b.onResolve({ filter: /^virtual:conformance-/ }, (a) => ({ path: a.path, namespace: 'virtual' }));
    b.onLoad({ filter: /.*/, namespace: 'virtual' }, (a) => {
      if (a.path === 'virtual:conformance-tests') {
        const body = testFiles.map((f) => `  beginFile(${JSON.stringify(f)});\n  await import(${JSON.stringify(join(src, 'tests', f))});`).join('\n');
        return { contents: `export async function loadTests(beginFile) {\n${body}\n}\n`, loader: 'js', resolveDir: src };
      }
      return { contents: JSON.stringify(clausesOf(readFileSync(join(src, 'COVERAGE.md'), 'utf8'))), loader: 'json' };
    });
    // the suite's `vitest` is the runner's shim
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: join(src, 'runner', 'vitest-shim.ts') }));
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'bin'), { recursive: true });
await build({
  entryPoints: [join(src, 'runner', 'main.ts')],
  outfile: join(out, 'bin', 'ocirun-conformance.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  plugins: [virtual],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __ocirunRequire } from 'node:module';\nconst require = __ocirunRequire(import.meta.url);" },
  legalComments: 'inline',
  logLevel: 'warning',
});
chmodSync(join(out, 'bin', 'ocirun-conformance.mjs'), 0o755);
// the harness finds its fixtures next to its own directory (conformance/harness/env.ts)
cpSync(join(src, 'fixtures'), join(out, 'fixtures'), { recursive: true });
