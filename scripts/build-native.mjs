// Builds the native parts from bindings/executor.c:
//   build/ocirun-executor        the executor program (static, without libc: starts fast)
//   build/libocirun-executor.so  the spawn function Node calls through koffi
// Neither links against Node or V8: nothing native here may touch V8 memory (DESIGN.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bindings', 'executor.c');
const cc = process.env.CC || 'cc';
const common = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fno-stack-protector'];
/** No libc (see the top of executor.c): freestanding, its own _start, memcpy and memset. */
export const EXECUTOR_FLAGS = [...common, '-static', '-nostdlib', '-ffreestanding', '-fno-tree-loop-distribute-patterns', '-fno-pie', '-no-pie', '-fno-asynchronous-unwind-tables', '-DOCIRUN_EXECUTOR_MAIN'];
export const EXECUTOR_SOURCE = src;
const targets = [
  { out: join(root, 'build', 'ocirun-executor'), args: EXECUTOR_FLAGS },
  { out: join(root, 'build', 'libocirun-executor.so'), args: [...common, '-fPIC', '-shared'] },
];

// Run as a script it builds; the tests import it for the executor's flags.
if (process.argv[1] === fileURLToPath(import.meta.url)) build();

function build() {
  for (const t of targets) {
    // Up to date unless the source or this script (the flags) changed since.
    const newest = Math.max(statSync(src).mtimeMs, statSync(fileURLToPath(import.meta.url)).mtimeMs);
    if (existsSync(t.out) && statSync(t.out).mtimeMs >= newest) continue;
    mkdirSync(dirname(t.out), { recursive: true });
    const args = [...t.args, '-o', t.out, src];
    try {
      execFileSync(cc, args, { stdio: 'inherit' });
    } catch {
      console.error(`ocirun: building ${t.out} failed (${cc} ${args.join(' ')}); it needs a C compiler and the C library headers (apt-get install gcc libc6-dev)`);
      process.exit(1);
    }
  }
}
