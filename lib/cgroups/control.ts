// Verbs on a live container's cgroups: freeze and thaw (pause/resume: freezer.state on v1,
// cgroup.freeze on v2), the processes in it (ps, kill --all), and signalling them all.
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { pidfdOpen, pidfdSendSignal } from '../../bindings/libc.js';
import { OciError } from '../errors.js';
import { isFrozenDir, writeCgroupFile } from './create.js';
import { pidsUnder } from './members.js';
import { dirOf, unifiedDir, type CgroupRecord } from './record.js';

/** Where the container is frozen: the v1 freezer, else the unified hierarchy's cgroup.freeze. */
function freezerOf(cg: CgroupRecord): { dir: string; version: 1 | 2 } | undefined {
  const v1 = cg.dirs.find((d) => d.version === 1 && d.controllers.includes('freezer'));
  if (v1) return v1;
  const v2 = unifiedDir(cg);
  return v2 && existsSync(`${v2.dir}/cgroup.freeze`) ? v2 : undefined;
}

export function canFreeze(cg: CgroupRecord): boolean {
  return freezerOf(cg) !== undefined;
}

export function isFrozen(cg: CgroupRecord): boolean {
  const f = freezerOf(cg);
  return f ? isFrozenDir(f.dir, f.version) : false;
}

/** Freeze (true) or thaw, and wait until the kernel says it is done (v1 FREEZING → FROZEN). */
export async function setFrozen(cg: CgroupRecord, frozen: boolean): Promise<void> {
  const f = freezerOf(cg);
  if (!f) throw new OciError('ERR_NOT_SUPPORTED', `${frozen ? 'pause' : 'resume'}: this host has no cgroup freezer (no v1 freezer hierarchy, no cgroup.freeze)`);
  if (f.version === 1) writeCgroupFile(`${f.dir}/freezer.state`, frozen ? 'FROZEN' : 'THAWED');
  else writeCgroupFile(`${f.dir}/cgroup.freeze`, frozen ? '1' : '0');
  const deadline = Date.now() + 10_000;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const state = f.version === 1 ? readFileSync(`${f.dir}/freezer.state`, 'utf8').trim() : /^frozen (\d)$/m.exec(readFileSync(`${f.dir}/cgroup.events`, 'utf8'))?.[1];
    if (f.version === 1 ? state === (frozen ? 'FROZEN' : 'THAWED') : state === (frozen ? '1' : '0')) return;
    if (Date.now() > deadline) {
      if (frozen) await setFrozen(cg, false);
      throw new OciError('ERR_CGROUP', `${frozen ? 'pause' : 'resume'}: ${f.dir} did not become ${frozen ? 'frozen' : 'thawed'} in 10 s (${state})`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The hierarchy whose cgroup.procs lists the container's processes. */
function listing(cg: CgroupRecord): { dir: string; mount: string } | undefined {
  return unifiedDir(cg) ?? dirOf(cg, 'pids') ?? dirOf(cg, 'freezer') ?? cg.dirs[0];
}

/**
 * Every process in the container's cgroup and in the cgroups below it (exec --cgroup, or a
 * container that makes its own), as runc's GetAllPids; pids as this process sees them.
 */
export function cgroupPids(cg: CgroupRecord): number[] {
  const d = listing(cg);
  return d ? pidsUnder(d.dir) : [];
}

/**
 * Signal every process in the cgroup. SIGKILL on a v2 cgroup: cgroup.kill, which the kernel does
 * at once and for processes forked meanwhile too. Otherwise each process through a pidfd, checked
 * to still be in the cgroup once the pidfd pins it (a recycled pid is never signalled); frozen
 * first where it can be, so nothing forks past the list (as runc does).
 */
export async function signalAll(cg: CgroupRecord, signal: number): Promise<void> {
  const paused = canFreeze(cg) && isFrozen(cg);
  await signalEvery(cg, signal);
  // A process frozen by the v1 freezer dies of SIGKILL only once thawed: a paused container is
  // thawed after it (runc thaws after every kill --all), or whoever waits for its end waits
  // forever (containerd's `task delete --force` of a paused task). Other signals stay pending
  // until resume, and the container stays paused.
  if (signal === 9 && paused) await setFrozen(cg, false);
}

async function signalEvery(cg: CgroupRecord, signal: number): Promise<void> {
  const unified = unifiedDir(cg);
  if (signal === 9 && unified && existsSync(`${unified.dir}/cgroup.kill`)) {
    writeCgroupFile(`${unified.dir}/cgroup.kill`, '1');
    return;
  }
  const d = listing(cg);
  if (!d) return;
  const freeze = canFreeze(cg) && !isFrozen(cg);
  if (freeze) await setFrozen(cg, true);
  try {
    const path = d.dir.slice(d.mount.length) || '/';
    for (const pid of cgroupPids(cg)) signalMember(pid, path, d.mount === unified?.mount, signal);
  } finally {
    if (freeze) await setFrozen(cg, false);
  }
}

/**
 * SIGKILL to every process in any of the container's own cgroups and below, whichever hierarchy
 * it sits in (a process can be in some and not in the one cgroupPids lists: a create killed while
 * its child joined them one by one). Each pinned by a pidfd and checked to be a member still, so
 * a pid freed and reused since the listing is never signalled.
 */
export function killMembers(cg: CgroupRecord): void {
  const unified = unifiedDir(cg);
  for (const d of cg.dirs) {
    const path = d.dir.slice(d.mount.length) || '/';
    for (const pid of pidsUnder(d.dir)) signalMember(pid, path, d.mount === unified?.mount, 9);
  }
}

function signalMember(pid: number, path: string, unified: boolean, signal: number): void {
  let fd: number;
  try {
    fd = pidfdOpen(pid);
  } catch {
    return; // gone
  }
  try {
    if (!inCgroup(pid, path, unified)) return;
    pidfdSendSignal(fd, signal);
  } catch (err) {
    if ((err as { errnoCode?: string }).errnoCode !== 'ESRCH') throw err;
  } finally {
    closeSync(fd);
  }
}

function inCgroup(pid: number, path: string, unified: boolean): boolean {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    return lines.some((l) => {
      const parts = l.split(':');
      const p = parts.slice(2).join(':');
      return (unified ? parts[1] === '' : parts[1] !== '') && (p === path || p.startsWith(path === '/' ? '/' : `${path}/`));
    });
  } catch {
    return false;
  }
}
