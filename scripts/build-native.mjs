// Builds the native executor (bindings/executor.c) into build/libocirun-executor.so.
// It is a plain shared library loaded through koffi, not a Node addon: it must not link against
// Node or V8, because it runs in a cloned child where no V8 memory may be touched (DESIGN.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bindings', 'executor.c');
const out = join(root, 'build', 'libocirun-executor.so');
if (!existsSync(src)) process.exit(0);
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
mkdirSync(dirname(out), { recursive: true });
const cc = process.env.CC || 'cc';
const args = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fno-stack-protector', '-o', out, src];
try {
  execFileSync(cc, args, { stdio: 'inherit' });
} catch (err) {
  console.error(`ocirun: building the native executor failed (${cc} ${args.join(' ')}); install a C compiler (apt-get install gcc)`);
  process.exit(1);
}
