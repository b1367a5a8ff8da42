// Facts about the host the planner needs, read once per process.
import { readFileSync } from 'node:fs';
import { cloneIntoCgroupWorks } from '../../bindings/libc.js';

export interface CgroupHierarchy {
  /** Directory name under /sys/fs/cgroup (cpu, memory, systemd, unified). */
  name: string;
  /** cgroup v2 (unified) or a v1 hierarchy. */
  version: 1 | 2;
  /** v1 controllers and `name=` options, as fsconfig parameters. */
  options: string[];
}

export interface Host {
  capLastCap: number;
  cgroups: { unifiedOnly: boolean; hierarchies: CgroupHierarchy[] };
  /** The executor can be started in its cgroup v2 directory (clone3 CLONE_INTO_CGROUP, Linux 5.7). */
  cloneIntoCgroup: boolean;
}

let cached: Host | undefined;

export function host(): Host {
  if (cached) return cached;
  let probed: boolean | undefined;
  // Asked only where a spawn into a cgroup is planned (create, and the plan cache's key): exec,
  // hooks and features never start a process just to learn it.
  cached = {
    capLastCap: readCapLastCap(),
    cgroups: readCgroupMounts(),
    get cloneIntoCgroup() {
      return (probed ??= canCloneIntoCgroup());
    },
  };
  return cached;
}

/** False also without a native part that works here: verbs that only read the host (features) go on; a spawn names the platform. */
function canCloneIntoCgroup(): boolean {
  try {
    return cloneIntoCgroupWorks();
  } catch {
    return false;
  }
}

function readCapLastCap(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return 40;
  }
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup, from /proc/self/mountinfo. */
export function readCgroupMounts(mountinfo = safeRead('/proc/self/mountinfo')): Host['cgroups'] {
  const hierarchies: CgroupHierarchy[] = [];
  let unifiedOnly = false;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (mountPoint === '/sys/fs/cgroup' && fstype === 'cgroup2') unifiedOnly = true;
    if (!mountPoint?.startsWith('/sys/fs/cgroup/')) continue;
    const name = mountPoint.slice('/sys/fs/cgroup/'.length);
    if (name.includes('/')) continue;
    if (fstype === 'cgroup2') hierarchies.push({ name, version: 2, options: [] });
    else if (fstype === 'cgroup') {
      const options = superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro' && o !== 'relatime' && !o.startsWith('release_agent') && o !== 'clone_children');
      hierarchies.push({ name, version: 1, options });
    }
  }
  return { unifiedOnly, hierarchies };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
