// Rootless cgroups, as runc's cgroupfs driver treats them: an unprivileged runtime gives the
// container a cgroup only in the hierarchies delegated to its user (cgroup-v2.rst "Delegation":
// the directory, and its cgroup.procs, chowned to the user), and skips the others. A limit whose
// controller is in no delegated hierarchy is an error, as in runc ("container could not join or
// create cgroup"); so is an explicit cgroupsPath that no hierarchy lets the user create.
import { accessSync, constants as fsc, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { OciError } from '../errors.js';
import type { CgroupLayout } from './layout.js';
import { cgroupDirs } from './path.js';

/** The hierarchies where this user may create the container's cgroup and move processes into it. */
export function delegatedLayout(layout: CgroupLayout, cgroupsPath: string | undefined, id: string, own: () => { v1: Map<string, string>; unified: string }): CgroupLayout {
  const uid = process.geteuid?.() ?? 0;
  const note = `to uid ${uid} (rootless: only cgroup hierarchies delegated to the user are used)`;
  if (!layout.hierarchies.length) return { ...layout, delegatedTo: note };
  const dirs = cgroupDirs(layout, cgroupsPath, id, own);
  const hierarchies = dirs.filter((d) => delegated(d.dir)).map((d) => d.hierarchy);
  if (!hierarchies.length && cgroupsPath) {
    throw new OciError('ERR_CGROUP', `config.json: /linux/cgroupsPath "${cgroupsPath}": no cgroup hierarchy is delegated to uid ${uid} there (${dirs.map((d) => d.dir).join(', ')}): rootless, the container could not create or join its cgroup`);
  }
  const mode = !hierarchies.length ? 'none' : hierarchies.every((h) => h.version === 2) ? 'v2' : hierarchies.every((h) => h.version === 1) ? 'v1' : 'hybrid';
  return { mode, hierarchies, delegatedTo: note };
}

/**
 * The nearest existing ancestor of the container's directory is writable (mkdir), and so is its
 * cgroup.procs: the kernel moves a process between cgroups only for a writer of the cgroup.procs
 * of their common ancestor, the caller's own delegated cgroup.
 */
function delegated(dir: string): boolean {
  let p = dir;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) return false;
    p = up;
  }
  try {
    accessSync(p, fsc.W_OK | fsc.X_OK);
    accessSync(`${p}/cgroup.procs`, fsc.W_OK);
    return true;
  } catch {
    return false;
  }
}
