// Builds the native parts:
//   build/ocirun-executor  the executor program, from bindings/executor.c (static, without libc:
//                          starts fast)
//   build/ocirun.node      the Node-API addon of bindings/addon.c: the runtime process's libc
//                          calls and the executor's spawn (executor.c's ocirun_spawn)
// The addon uses Node-API only (headers from the node-api-headers package), so one build serves
// every Node version; the executor links against nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'bindings', 'executor.c');
const addonSrc = join(root, 'bindings', 'addon.c');
const cc = process.env.CC || 'cc';
const common = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fno-stack-protector'];
/** No libc (see the top of executor.c): freestanding, its own _start, memcpy and memset. */
export const EXECUTOR_FLAGS = [...common, '-static', '-nostdlib', '-ffreestanding', '-fno-tree-loop-distribute-patterns', '-fno-pie', '-no-pie', '-fno-asynchronous-unwind-tables', '-DOCIRUN_EXECUTOR_MAIN'];
export const EXECUTOR_SOURCE = src;
const targets = [
  { out: join(root, 'build', 'ocirun-executor'), args: EXECUTOR_FLAGS, sources: [src] },
  { out: join(root, 'build', 'ocirun.node'), args: [...common, '-fPIC', '-shared', '-fvisibility=hidden'], napi: true, sources: [src, addonSrc] },
];

/** -I for node_api.h, from the node-api-headers package (a dev dependency). */
function napiInclude() {
  try {
    return ['-I', createRequire(import.meta.url)('node-api-headers').include_dir];
  } catch (err) {
    console.error(`ocirun: the Node-API headers are missing (package node-api-headers: ${err.message.split("\n")[0]}); run \`npm install\` in ${root}`);
    process.exit(1);
  }
}

// Run as a script it builds; the tests import it for the executor's flags.
if (process.argv[1] === fileURLToPath(import.meta.url)) build();

function build() {
  for (const t of targets) {
    // Up to date unless a source or this script (the flags) changed since.
    const newest = Math.max(...[...t.sources, fileURLToPath(import.meta.url)].map((f) => statSync(f).mtimeMs));
    if (existsSync(t.out) && statSync(t.out).mtimeMs >= newest) continue;
    mkdirSync(dirname(t.out), { recursive: true });
    const args = [...t.args, ...(t.napi ? napiInclude() : []), '-o', t.out, ...t.sources];
    try {
      execFileSync(cc, args, { stdio: 'inherit' });
    } catch {
      console.error(`ocirun: building ${t.out} failed (${cc} ${args.join(' ')}); it needs a C compiler and the C library headers (apt-get install gcc libc6-dev)`);
      process.exit(1);
    }
  }
}
