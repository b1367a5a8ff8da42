// Once per run: a temp dir holding the runtime's --root, a busybox rootfs template that every
// bundle clones, and the per-test work dirs. Torn down at the end unless CONFORMANCE_KEEP=1.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BUSYBOX, KEEP, RUNTIME_PATH, runtimeCommand, runtimeExists } from './env.js';
import { removeTree, removeCgroupTree } from './host.js';

declare module 'vitest' {
  export interface ProvidedContext {
    runDir: string;
    cgroupParent: string;
  }
}

export default function setup(project: TestProject) {
  const runDir = mkdtempSync(join(tmpdir(), 'oci-conformance-'));
  // containers with a user namespace run as a mapped (non-root) host uid and must traverse it
  chmodSync(runDir, 0o755);
  const template = join(runDir, 'rootfs-template');
  buildRootfs(template);
  mkdirSync(join(runDir, 'state'));
  mkdirSync(join(runDir, 'tests'));
  // Every container that asks for a cgroup gets one below this parent, so a run can remove all of
  // them even after a crash.
  const cgroupParent = `/oci-conformance/${runDir.split('/').pop()}`;
  project.provide('runDir', runDir);
  project.provide('cgroupParent', cgroupParent);

  let version = 'binary not found';
  if (runtimeExists()) {
    try {
      const [cmd, pre] = runtimeCommand();
      version = execFileSync(cmd, [...pre, '--version'], { encoding: 'utf8', timeout: 15_000 }).split('\n')[0] ?? '';
    } catch (e) {
      version = `--version failed: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  console.log(`conformance: runtime ${RUNTIME_PATH} (${version}); work dir ${runDir}`);

  return () => {
    removeCgroupTree(cgroupParent);
    // the shared top dir goes too once no other run uses it
    removeCgroupTree(cgroupParent.split('/').slice(0, 2).join('/'), { onlyIfEmpty: true });
    if (!KEEP) removeTree(runDir);
  };
}

/** A rootfs made of one static busybox and a symlink per applet in /bin. */
export function buildRootfs(dir: string): void {
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'mnt']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}
