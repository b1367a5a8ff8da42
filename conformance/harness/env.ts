// Where the runtime under test lives and how to invoke it. Everything the suite knows about the
// runtime comes from here: the binary path and nothing else.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(CONFORMANCE_DIR, '..');

/** The runtime binary under test (RUNTIME=/path/to/binary), default this package's CLI. */
export const RUNTIME_PATH = resolve(process.env.RUNTIME ?? resolve(REPO_DIR, 'dist/cli/ocirun.cjs'));

/** argv prefix: a .js/.mjs runtime is run with this node, anything else is executed directly. */
export function runtimeCommand(): [string, string[]] {
  if (/\.(c|m)?js$/.test(RUNTIME_PATH)) return [process.execPath, [RUNTIME_PATH]];
  return [RUNTIME_PATH, []];
}

export function runtimeExists(): boolean {
  return existsSync(RUNTIME_PATH);
}

/** Keep temp dirs of a run for debugging (CONFORMANCE_KEEP=1). */
export const KEEP = process.env.CONFORMANCE_KEEP === '1';

/** Upper bound for one CLI call: a hung runtime fails the test instead of stalling the run. */
export const CLI_TIMEOUT_MS = Number(process.env.CONFORMANCE_CLI_TIMEOUT_MS ?? 30_000);

/** busybox used to build the rootfs (Debian busybox-static). */
export const BUSYBOX = process.env.BUSYBOX ?? '/bin/busybox';
