// Folds the CLI and the library into one file, dist/lib/cli/main.js (replacing tsc's entry
// point; the rest of dist/ stays for library users). The CLI starts on every call, and resolving
// and loading ~60 ES modules was most of its start-up time. koffi stays external: it is a native
// addon. The precompiled validators are loaded at run time from build/, as before.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'lib', 'cli', 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  // The entry's own shebang is kept by esbuild; CommonJS dependencies (commander) need require.
  banner: { js: "import { createRequire as __ocirunRequire } from 'node:module'; const require = __ocirunRequire(import.meta.url);" },
  logLevel: 'warning',
});
