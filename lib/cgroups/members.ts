// What is in a cgroup: the cgroups below it and the processes in it and below it, as runc's
// GetAllPids counts them (exec --cgroup sub-cgroups, or cgroups a container made inside its own).
import { readdirSync, readFileSync } from 'node:fs';

/** A cgroup directory and every cgroup below it, parents first. */
export function cgroupTree(dir: string): string[] {
  const out = [dir];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const e of readdirSync(out[i]!, { withFileTypes: true })) if (e.isDirectory()) out.push(`${out[i]}/${e.name}`);
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

/** The pids in `dir`'s cgroup.procs and in those of every cgroup below it, as this process sees them. */
export function pidsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const d of cgroupTree(dir)) {
    let procs: string;
    try {
      procs = readFileSync(`${d}/cgroup.procs`, 'utf8');
    } catch {
      continue; // removed meanwhile
    }
    for (const line of procs.split('\n')) if (line) pids.push(Number(line));
  }
  return pids;
}
