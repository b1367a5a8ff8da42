// What create records of a container (lib/state/store.ts keeps it): the process, identified by
// pid and start time, and what state, exec and kill need later.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { OciError } from '../errors.js';
import type { Hooks, Spec } from '../spec/index.js';
import type { CgroupRecord } from '../cgroups/record.js';
import type { ContainerRecord } from '../state/store.js';
import type { StoredSeccomp } from '../seccomp/compile.js';
import { utcTimestamp } from '../support/timestamp.js';
import { SPEC_VERSION } from '../version.js';
import { readProcStat } from './process-info.js';


export function containerRecord(pid: number, c: { id: string; bundle: string; rootfs: string; spec: Spec; seccomp?: StoredSeccomp; cgroup?: CgroupRecord }): ContainerRecord {
  const st = readProcStat(pid);
  if (!st) throw new OciError('ERR_CONTAINER_INIT', `create: the container process ${pid} exited during create`);
  // ociVersion, id, pid and startTime first: StateStore.holds compares the file's first bytes.
  return {
    ociVersion: SPEC_VERSION,
    id: c.id,
    pid,
    startTime: st.startTime,
    bundle: c.bundle,
    rootfs: c.rootfs,
    created: utcTimestamp(),
    owner: owner(),
    annotations: c.spec.annotations,
    namespaces: (c.spec.linux?.namespaces ?? []).map((n) => n.type),
    process: c.spec.process!,
    ...(c.seccomp && { seccomp: c.seccomp }),
    ...(laterHooks(c.spec.hooks) && { hooks: laterHooks(c.spec.hooks) }),
    ...(c.cgroup ? { cgroup: c.cgroup } : {}),
  };
}

let ownerName: string | undefined;
/** The user running ocirun, by name (from /etc/passwd: os.userInfo() goes through NSS, ~2 ms). */
function owner(): string {
  if (ownerName !== undefined) return ownerName;
  const uid = process.getuid?.() ?? 0;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[0]) return (ownerName = f[0]);
    }
  } catch {
    // no /etc/passwd
  }
  return (ownerName = userInfo().username);
}

/** Digits only, no newline: containerd's parser does not trim. */
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}

/** The hooks a container's record keeps for start and delete. */
function laterHooks(hooks: Hooks | undefined): Hooks | undefined {
  if (!hooks) return undefined;
  const kept: Hooks = {};
  if (hooks.startContainer?.length) kept.startContainer = hooks.startContainer;
  if (hooks.poststart?.length) kept.poststart = hooks.poststart;
  if (hooks.poststop?.length) kept.poststop = hooks.poststop;
  return Object.keys(kept).length ? kept : undefined;
}
