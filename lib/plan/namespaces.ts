// Namespaces: which are created by clone(2), which are joined with setns(2), which need
// unshare(2) later, and where the user-namespace handshake with the parent sits.
//
// The executor joins the namespaces given by path (user first, so everything after is owned by
// it), then forks the container process with every CLONE_NEW* flag at once: it is pid 1 of a new
// pid namespace, or a member of the joined one.
import { CLONE, PR } from '../../bindings/constants.js';
import type { LinuxNamespaceType, LinuxTimeOffsets } from '../spec/index.js';
import type { PlanContext } from './context.js';
import { planSignal, planWaitForParent, SYNC_READY } from './sync.js';

export const NAMESPACE_FLAGS: Record<LinuxNamespaceType, number> = {
  user: CLONE.NEWUSER,
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  mount: CLONE.NEWNS,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
};

/** Order of setns when joining: user first, mount last (it changes the root). */
export const JOIN_ORDER: LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespaceRequest {
  type: LinuxNamespaceType;
  /** An fd the parent opened on the namespace file: join it. Absent: create a new one. */
  joinFd?: number;
}

export interface NamespacePhase {
  /** Namespaces the clone that makes the container process creates. */
  cloneFlags: number;
  /**
   * The runtime spawns the executor with `cloneFlags` and it is the container process from its
   * first op: when no namespace is joined by path (joins must come before the namespaces they
   * own) and no user namespace is made (an execve before the id maps exist drops every
   * capability in it). Otherwise the program joins, then forks.
   */
  spawnClones: boolean;
  newUser: boolean;
  /** The container has a user namespace (new or joined): it becomes root there. */
  user: boolean;
  newPid: boolean;
  newMount: boolean;
  newTime: boolean;
  /** The child reports READY and waits for the runtime's answer (see `planNamespaces`). */
  parentStep: boolean;
}

/** What the runtime does for the child between READY and its answer. */
export interface ParentWork {
  /** Write /proc/<pid>/timens_offsets (only the runtime can, before the first process runs). */
  timeOffsets?: boolean;
  /** Write /proc/<pid>/oom_score_adj. */
  oomScoreAdj?: boolean;
  /**
   * The runtime is not root: it can open the child's /proc files (uid_map, gid_map, setgroups)
   * only while the child is dumpable, so the child is dumpable for the step, as runc's is.
   */
  unprivilegedParent?: boolean;
}

export function planNamespaces(
  ctx: PlanContext,
  requests: readonly NamespaceRequest[],
  syncFd: number,
  work: ParentWork = {},
): NamespacePhase {
  const b = ctx.b;
  const byType = new Map(requests.map((r) => [r.type, r]));
  const isNew = (t: LinuxNamespaceType) => byType.has(t) && byType.get(t)!.joinFd === undefined;
  const joins = JOIN_ORDER.map((t) => byType.get(t)).filter((r): r is NamespaceRequest => r?.joinFd !== undefined);
  // cgroup: created after the runtime has placed the process in its cgroup (the GO answer), so
  // the namespace's root is the container's cgroup. time: clone(2) cannot create it (its flag
  // bit is the exit signal's); unshared before READY so the runtime writes the offsets.
  const deferred: LinuxNamespaceType[] = ['cgroup', 'time'];
  let cloneFlags = 0;
  for (const r of requests) if (r.joinFd === undefined && !deferred.includes(r.type)) cloneFlags |= NAMESPACE_FLAGS[r.type];
  const phase: NamespacePhase = {
    cloneFlags,
    spawnClones: joins.length === 0 && !isNew('user'),
    newUser: isNew('user'),
    user: byType.has('user'),
    newPid: isNew('pid'),
    newMount: isNew('mount'),
    newTime: isNew('time'),
    // Id maps of a new user namespace, time offsets and the oom score are written by the
    // runtime; without any of them the child does not stop for it (one round trip less).
    parentStep: isNew('user') || (isNew('time') && Boolean(work.timeOffsets)) || Boolean(work.oomScoreAdj),
  };

  if (!phase.spawnClones) {
    for (const j of joins) b.syscall('setns', [j.joinFd!, NAMESPACE_FLAGS[j.type]], `join the ${j.type} namespace`);
    // Namespaces made by this fork are owned by the user namespace joined above, if any; a pid
    // namespace (new or joined) only ever takes children. CLONE_PARENT makes the container
    // process the runtime's own child, so the runtime waits for it directly.
    b.fork(CLONE.PARENT | cloneFlags, cloneFlags ? `fork into new ${describeFlags(cloneFlags)} namespaces` : 'fork the container process');
  }
  if (phase.newTime) b.syscall('unshare', [CLONE.NEWTIME], 'create the time namespace');
  if (phase.parentStep) {
    const dumpable = Boolean(work.unprivilegedParent);
    if (dumpable) b.syscall('prctl', [PR.SET_DUMPABLE, 1, 0, 0, 0], 'become dumpable: the unprivileged runtime opens /proc/<pid>/uid_map');
    planSignal(ctx, syncFd, SYNC_READY, 'tell the runtime the namespaces exist');
    planWaitForParent(ctx, syncFd, 'wait for the runtime to write the id maps');
    if (dumpable) b.syscall('prctl', [PR.SET_DUMPABLE, 0, 0, 0, 0], 'non-dumpable again (protects the runtime binary)');
  }
  // New or joined, our host ids mean nothing in the user namespace until we take its root
  // (files we created would have unmapped ids: EOVERFLOW; exec would drop every capability).
  if (phase.user) becomeRootInUserNamespace(ctx);
  if (isNew('cgroup')) b.syscall('unshare', [CLONE.NEWCGROUP], 'create the cgroup namespace');
  return phase;
}

/** After the maps are written, take uid/gid 0 of the new namespace (DESIGN.md fact 5). */
function becomeRootInUserNamespace(ctx: PlanContext): void {
  ctx.b.syscall('setresgid', [0, 0, 0], 'become gid 0 in the user namespace');
  ctx.b.syscall('setresuid', [0, 0, 0], 'become uid 0 in the user namespace');
}

/** The text the runtime writes to /proc/<pid>/timens_offsets (time_namespaces(7)). */
export function timensOffsets(offsets: LinuxTimeOffsets | undefined): string {
  const lines: string[] = [];
  for (const clock of ['monotonic', 'boottime'] as const) {
    const o = offsets?.[clock];
    if (o) lines.push(`${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`);
  }
  return lines.join('');
}

function describeFlags(flags: number): string {
  return (Object.entries(NAMESPACE_FLAGS) as [LinuxNamespaceType, number][])
    .filter(([, f]) => flags & f)
    .map(([t]) => t)
    .join(', ');
}
