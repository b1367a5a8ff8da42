// Namespaces: which are created by clone(2), which are joined with setns(2), which need
// unshare(2) later, and where the user-namespace handshake with the parent sits.
//
// Fast path (nothing joined by path): one clone with every CLONE_NEW* flag; the child is pid 1.
// With joins, the child clones plain, joins user first (so later joins and new namespaces are
// owned by it), then the others, unshares what is new, and forks once to enter a new or joined
// pid namespace (only children of a process move into one).
import { CLONE } from '../../bindings/constants.js';
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
const JOIN_ORDER: LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespaceRequest {
  type: LinuxNamespaceType;
  /** An fd the parent opened on the namespace file: join it. Absent: create a new one. */
  joinFd?: number;
}

export interface NamespacePhase {
  cloneFlags: number;
  /** The child forks once (to enter a pid namespace): the parent gets a PID message. */
  forks: boolean;
  newUser: boolean;
  newPid: boolean;
  newMount: boolean;
  newTime: boolean;
}

export function planNamespaces(
  ctx: PlanContext,
  requests: readonly NamespaceRequest[],
  syncFd: number,
): NamespacePhase {
  const b = ctx.b;
  const byType = new Map(requests.map((r) => [r.type, r]));
  const isNew = (t: LinuxNamespaceType) => byType.has(t) && byType.get(t)!.joinFd === undefined;
  const joins = JOIN_ORDER.map((t) => byType.get(t)).filter((r): r is NamespaceRequest => r?.joinFd !== undefined);
  const phase: NamespacePhase = {
    cloneFlags: 0,
    forks: false,
    newUser: isNew('user'),
    newPid: isNew('pid'),
    newMount: isNew('mount'),
    newTime: isNew('time'),
  };
  // cgroup: created after the parent has placed the child in its cgroup (the GO answer), so the
  // namespace's root is the container's cgroup. time: clone(2) cannot create it (its flag is
  // taken by the exit signal); unshared before READY so the parent writes the offsets, which
  // it may do from any user namespace, through /proc/<pid>/timens_offsets.
  const deferred: LinuxNamespaceType[] = ['cgroup', 'time'];
  const newTime = () => {
    if (isNew('time')) b.syscall('unshare', [CLONE.NEWTIME], 'create the time namespace');
  };

  if (joins.length === 0) {
    for (const r of requests) if (!deferred.includes(r.type)) phase.cloneFlags |= NAMESPACE_FLAGS[r.type];
    newTime();
    planSignal(ctx, syncFd, SYNC_READY, 'tell the runtime the namespaces exist');
    planWaitForParent(ctx, syncFd, 'wait for the runtime to write the id maps');
    if (phase.newUser) becomeRootInUserNamespace(ctx);
  } else {
    for (const j of joins) {
      b.syscall('setns', [j.joinFd!, NAMESPACE_FLAGS[j.type]], `join the ${j.type} namespace`);
    }
    if (phase.newUser) b.syscall('unshare', [CLONE.NEWUSER], 'create the user namespace');
    newTime();
    planSignal(ctx, syncFd, SYNC_READY, 'tell the runtime the namespaces exist');
    planWaitForParent(ctx, syncFd, 'wait for the runtime to write the id maps');
    // A joined user namespace leaves our host ids unmapped in it (files we create: EOVERFLOW).
    if (phase.newUser || byType.get('user')?.joinFd !== undefined) becomeRootInUserNamespace(ctx);
    let flags = 0;
    for (const r of requests) {
      if (r.joinFd === undefined && r.type !== 'user' && !deferred.includes(r.type)) flags |= NAMESPACE_FLAGS[r.type];
    }
    if (flags) b.syscall('unshare', [flags], `create the ${describeFlags(flags)} namespaces`);
    if (byType.has('pid')) {
      phase.forks = true;
      b.fork(0, 'fork into the pid namespace');
    }
  }
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
