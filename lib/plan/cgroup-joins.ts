// How the container process (and an exec'd one) joins its cgroups: its first ops, or the spawn
// itself. Apart from the planner, so that create, which passes the spawn its cgroup, does not load it.
import { O } from '../../bindings/constants.js';
import type { PlanContext } from './context.js';

/** How the process joins its cgroup in one hierarchy (planJoinCgroups). */
export interface CgroupJoin {
  /** O_PATH fd on the directory (lib/protocol/child-fds.ts). */
  fd: number;
  /** Its mount point, for the error texts. */
  mount?: string;
  version?: 1 | 2;
  /** Started in it by the spawn (clone3 CLONE_INTO_CGROUP, bindings/spawn.c): nothing to write. */
  atSpawn?: boolean;
}

/**
 * The first ops: the process joins its cgroups before anything else runs; every process it forks
 * stays there. It writes "0" (itself): on v1 to `tasks`, which moves the calling thread (the
 * executor has only one), and which kernels that skip the cgroup threadgroup lock for a thread
 * moving itself (this host's 6.18 does; older ones may not) do without that lock, whose writer
 * waits for an RCU grace period; elsewhere to cgroup.procs, unless the spawn started it in that
 * cgroup. The directory
 * fds are closed with the rest of the set-up's fds before exec.
 */
export function planJoinCgroups(ctx: PlanContext, joins: readonly CgroupJoin[]): void {
  const tmp = ctx.regs.tmp;
  joins.forEach((j, i) => {
    if (j.atSpawn) return;
    const where = j.mount ?? `cgroup hierarchy ${i + 1}`;
    const file = j.version === 1 ? 'tasks' : 'cgroup.procs';
    ctx.b.syscall('openat', [j.fd, ctx.str(file), O.WRONLY | O.CLOEXEC, 0], `join the container's cgroup in ${where}: open ${file}`, { save: tmp });
    ctx.b.syscall('write', [tmp, ctx.str('0'), 1], `join the container's cgroup in ${where}`);
    ctx.b.syscall('close', [tmp], `join the container's cgroup in ${where}: close ${file}`);
  });
}

/**
 * The joins of a container's cgroups, one per hierarchy of `layout` through `fds`: the unified
 * hierarchy at the spawn where the host allows it (Host.cloneIntoCgroup).
 */
export function cgroupJoins(fds: readonly number[], hierarchies: readonly { mount: string; version: 1 | 2 }[], cloneIntoCgroup: boolean): CgroupJoin[] {
  return fds.map((fd, i) => {
    const h = hierarchies[i];
    return { fd, mount: h?.mount, version: h?.version, atSpawn: cloneIntoCgroup && h?.version === 2 };
  });
}
