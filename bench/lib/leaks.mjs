// What a runtime may leave behind after its containers are deleted: state directories, mounts,
// processes (containers or runtime helpers) and cgroup directories.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Mount points (mountinfo's fifth field) at or below `dir`. */
function mountsUnder(dir) {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((mp) => mp && (mp === dir || mp.startsWith(dir + '/')));
}

// The processes whose children are the bench's to reap: the bench itself and the library host
// (the library's containers are its children).
const parents = new Set([process.pid]);
/** Counts `pid`'s unreaped children as leaks until the returned function is called (it exited). */
export function alsoReapedBy(pid) {
  parents.add(pid);
  return () => parents.delete(pid);
}

/**
 * Processes of the bench's containers (their environment carries the workspace's token, see
 * bundle.mjs: a container's root and cwd say nothing from outside its mount namespace), processes
 * running from the workspace, and unreaped children of the bench or its library host.
 */
function strayProcesses(ws) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (parents.has(Number(fields[1])) && fields[0] === 'Z') {
        out.push(`${name} (zombie child)`);
        continue;
      }
      const links = ['root', 'cwd'].map((l) => {
        try {
          return readlinkSync(`/proc/${name}/${l}`);
        } catch {
          return '';
        }
      });
      let environ = '';
      try {
        environ = readFileSync(`/proc/${name}/environ`, 'latin1');
      } catch {
        // a kernel thread, or gone
      }
      if (links.some((l) => l.startsWith(ws.dir)) || environ.includes(ws.token)) out.push(`${name} (${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)})`);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** cgroup directories named after our containers (runc nests them under its own cgroup). */
function cgroupDirs(prefix) {
  const out = [];
  const walk = (dir, depth) => {
    let entries = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      if (e.name.includes(prefix)) out.push(join(dir, e.name));
      else if (depth > 0) walk(join(dir, e.name), depth - 1);
    }
  };
  walk('/sys/fs/cgroup', 3);
  return out;
}

/** Everything left over under the workspace (a fresh directory, so anything there is a leak). */
export function findLeaks(ws, roots, prefix) {
  const stateDirs = roots.flatMap((r) => {
    try {
      // @plans is ocirun's plan cache (lib/lifecycle/plan-cache.ts): the runtime's, not a container's.
      return readdirSync(r).filter((e) => e !== '@plans').map((e) => join(r, e));
    } catch {
      return [];
    }
  });
  return {
    stateDirs,
    mounts: mountsUnder(ws.dir),
    processes: strayProcesses(ws),
    cgroups: cgroupDirs(prefix),
  };
}

export const leakCount = (l) => l.stateDirs.length + l.mounts.length + l.processes.length + l.cgroups.length;
