// The package's install script. The package ships its native parts prebuilt for linux-x64 and
// linux-arm64 (prebuilds/, made by `npm pack`): when the one for this machine works here, nothing
// is built and no compiler is needed. Otherwise (a C library the prebuilt addon cannot load, such
// as musl) they are built from source into build/, which bindings/libc.ts prefers when present.
// A failed build does not fail the install: validation and `ocirun spec` work without native
// parts, and running a container then fails with an error that names the platform and the fix.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHere } from './build-native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const platform = `${process.platform}-${process.arch}`;

/** Why the native parts in `dir` do not work on this machine, or undefined when they do. */
function problem(dir) {
  const addon = join(dir, 'ocirun.node');
  const executor = join(dir, 'ocirun-executor');
  for (const f of [addon, executor]) if (!existsSync(f)) return `${f} is missing`;
  try {
    process.dlopen({ exports: {} }, addon);
  } catch (err) {
    return `${addon}: ${err.message}`;
  }
  // Started without a program, the executor exits 126 ("no program on fd 999").
  const r = spawnSync(executor, ['999'], { stdio: 'ignore' });
  if (r.status !== 126) return `${executor} does not run here (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`;
  return undefined;
}

const prebuilt = join(root, 'prebuilds', platform);
const why = problem(prebuilt);
if (why !== undefined) {
  try {
    buildHere();
    const still = problem(join(root, 'build'));
    if (still) throw new Error(still);
  } catch (err) {
    console.warn(`ocirun: no native parts for ${platform}: the prebuilt ones do not work here (${why}), and building them from source failed: ${err.message}`);
  }
}
