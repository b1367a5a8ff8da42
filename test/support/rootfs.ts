// A busybox rootfs for integration tests: built once per test run (shared by every test file of
// the run, keyed by the vitest main process) and copied for tests that write into it.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';
const PREFIX = 'ocirun-test-rootfs-';

let shared: string | undefined;

/** The read-mostly shared rootfs (containers get it with root.readonly). */
export function sharedRootfs(): string {
  if (shared) return shared;
  removeStaleRootfs();
  // Workers of one vitest run share their parent; a new run builds afresh.
  const dir = join(tmpdir(), `${PREFIX}${process.ppid}`);
  if (!existsSync(join(dir, 'bin', 'busybox'))) {
    const staging = mkdtempSync(join(tmpdir(), 'ocirun-test-staging-'));
    try {
      populate(staging);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    // mkdtemp makes 0700: containers running as another user must reach their programs.
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, dir);
    } catch {
      // Another worker won the race: use its copy.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  shared = dir;
  return dir;
}

/** A private, writable copy of the busybox rootfs at `dest`. */
export function copyRootfs(dest: string): string {
  mkdirSync(dest, { recursive: true });
  populate(dest);
  return dest;
}

function populate(dir: string): void {
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'root', 'mnt', 'home', 'var']) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  execFileSync('chmod', ['1777', join(dir, 'tmp')]);
  // `busybox --install -s` makes absolute links to the host's busybox: relative links only.
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n');
}

/** Rootfs dirs of earlier runs whose vitest process is gone. */
function removeStaleRootfs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(name.slice(PREFIX.length));
    if (pid && !existsSync(`/proc/${pid}`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}
