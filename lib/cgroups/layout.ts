// Which cgroup driver applies on this host, as runc decides it: v2 when /sys/fs/cgroup itself is
// a cgroup2 mount (unified); v1 when it holds one hierarchy per controller; hybrid when it holds v1
// hierarchies and a cgroup2 mount at /sys/fs/cgroup/unified as well. On a hybrid host a controller
// that no v1 hierarchy carries but the unified one does (hugetlb here) is driven the v2 way.
import { readFileSync } from 'node:fs';
import type { Host } from '../host/host.js';

export type CgroupMode = 'v1' | 'v2' | 'hybrid' | 'none';

/** One mounted hierarchy the container joins. */
export interface Hierarchy {
  /** Its mount point (/sys/fs/cgroup/memory, /sys/fs/cgroup/unified, /sys/fs/cgroup). */
  mount: string;
  version: 1 | 2;
  /** v1: the controllers it carries (cpu, cpuacct, name=systemd ...); v2: those it offers. */
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  /** Every hierarchy the container joins, v1 ones first, the unified one (if any) last. */
  hierarchies: Hierarchy[];
  /** Rootless (lib/cgroups/delegation.ts): only hierarchies delegated to this user; says to whom. */
  delegatedTo?: string;
}

const ROOT = '/sys/fs/cgroup';

/**
 * The layout from the host's cgroup mounts (lib/host.ts) and, for a cgroup2 mount, the
 * controllers its root offers (`readControllers`, injectable for tests).
 */
export function cgroupLayout(cgroups: Host['cgroups'], readControllers: (mount: string) => string[] = rootControllers): CgroupLayout {
  if (cgroups.unifiedOnly) return { mode: 'v2', hierarchies: [{ mount: ROOT, version: 2, controllers: readControllers(ROOT) }] };
  const hierarchies: Hierarchy[] = [];
  let unified: Hierarchy | undefined;
  for (const h of cgroups.hierarchies) {
    const mount = `${ROOT}/${h.name}`;
    if (h.version === 2) unified ??= { mount, version: 2, controllers: readControllers(mount) };
    else {
      const controllers = h.options.filter((o) => o !== 'noprefix' && o !== 'xattr' && o !== 'nsdelegate' && !o.startsWith('cpuset_v2_mode'));
      if (controllers.length) hierarchies.push({ mount, version: 1, controllers });
    }
  }
  if (!hierarchies.length) return unified ? { mode: 'v2', hierarchies: [unified] } : { mode: 'none', hierarchies: [] };
  if (unified) hierarchies.push(unified);
  return { mode: unified ? 'hybrid' : 'v1', hierarchies };
}

function rootControllers(mount: string): string[] {
  try {
    return readFileSync(`${mount}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Where a controller lives: the v1 hierarchy carrying it, else the unified hierarchy offering it.
 * undefined: the host has no such controller (an error for a limit that must be applied).
 */
export function hierarchyOf(layout: CgroupLayout, controller: string): Hierarchy | undefined {
  return (
    layout.hierarchies.find((h) => h.version === 1 && h.controllers.includes(controller)) ??
    layout.hierarchies.find((h) => h.version === 2 && h.controllers.includes(controller))
  );
}

/** The unified hierarchy (v2, or the cgroup2 mount of a hybrid host). */
export function unifiedOf(layout: CgroupLayout): Hierarchy | undefined {
  return layout.hierarchies.find((h) => h.version === 2);
}

/**
 * This process's own cgroup in each hierarchy, from /proc/self/cgroup: a relative cgroupsPath
 * (and the default one) is taken relative to it, as runc does.
 */
export function ownCgroups(text = readFileSync('/proc/self/cgroup', 'utf8')): { v1: Map<string, string>; unified: string } {
  const v1 = new Map<string, string>();
  let unified = '/';
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const names = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (names === '') unified = path;
    else for (const n of names.split(',')) v1.set(n, path);
  }
  return { v1, unified };
}
