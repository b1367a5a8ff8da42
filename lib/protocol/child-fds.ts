// The fd numbers the executor sees. The runtime's fds (program, sync socket, fifo directory,
// console socket, namespace files) are moved to fixed numbers right after the preserved fds, so a program depends
// only on config.json and the options, never on which fds the Node process happened to have
// free: that is what lets a planned program be cached and reused (lib/lifecycle/plan-cache.ts).
import type { LinuxNamespaceType } from '../spec/index.js';
import { JOIN_ORDER } from '../plan/namespaces.js';

export interface ChildFds {
  /** The memfd holding the program (named in the executor's argv). */
  program: number;
  /** The child's end of the sync socket. */
  sync: number;
  /** O_PATH fd on the state directory holding exec.fifo (create). */
  fifoDir: number;
  /** O_PATH fd on the container's root (exec). */
  root: number;
  /** The unix socket a terminal's pty master is sent over (process.terminal). */
  console: number;
  /** One fd per namespace to join, numbered in the order they are joined. */
  join: Partial<Record<LinuxNamespaceType, number>>;
  /** One fd per user namespace made for an idmapped mount's mapping (lib/plan/idmap.ts). */
  idmap: number[];
  /** One O_PATH fd per cgroup hierarchy joined: the container's cgroup directory there. */
  cgroups: number[];
}

/** Fds 0-2 and the preserved fds 3 .. 3+preserveFds-1 keep their numbers; ours come after. */
export function childFds(preserveFds: number, joinTypes: Iterable<LinuxNamespaceType>, idmapCount = 0, cgroupCount = 0): ChildFds {
  const base = 3 + preserveFds;
  const wanted = new Set(joinTypes);
  const join: ChildFds['join'] = {};
  let next = base + 5;
  for (const t of JOIN_ORDER) if (wanted.has(t)) join[t] = next++;
  const idmap = Array.from({ length: idmapCount }, () => next++);
  const cgroups = Array.from({ length: cgroupCount }, () => next++);
  return { program: base, sync: base + 1, fifoDir: base + 2, root: base + 3, console: base + 4, join, idmap, cgroups };
}
