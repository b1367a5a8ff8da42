// Observation from outside the container (procfs, cgroupfs) and host-side cleanup.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface MountInfo {
  id: number;
  parent: number;
  majmin: string;
  root: string;
  mountPoint: string;
  mountOptions: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      majmin: f[2] ?? '',
      root: unescape(f[3] ?? ''),
      mountPoint: unescape(f[4] ?? ''),
      mountOptions: (f[5] ?? '').split(','),
      optional: f.slice(6).filter(Boolean),
      fstype: r[0] ?? '',
      source: unescape(r[1] ?? ''),
      superOptions: (r[2] ?? '').split(','),
    });
  }
  return out;
}

/** The mount that is visible at `mountPoint` (the last one mounted there wins). */
export function mountAt(mounts: MountInfo[], mountPoint: string): MountInfo | undefined {
  const hits = mounts.filter((m) => m.mountPoint === mountPoint);
  return hits[hits.length - 1];
}

export function readProc(pid: number | 'self', file: string): string {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

export function procStatus(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readProc(pid, 'status').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Namespace identity, e.g. "net:[4026531840]". */
export function nsId(pid: number | 'self', type: string): string {
  return readlinkSync(`/proc/${pid}/ns/${type}`);
}

/** True when the pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Start time (clock ticks since boot) identifies a process across pid reuse. */
export function pidStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** controller (or "" for the v2 hierarchy, "name=systemd" for named ones) → mount point. */
export function cgroupMounts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of parseMountinfo(readProc('self', 'mountinfo'))) {
    if (m.fstype === 'cgroup2') out.set('', m.mountPoint);
    if (m.fstype !== 'cgroup') continue;
    for (const o of m.superOptions) {
      if (['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec'].includes(o) || o.startsWith('release_agent')) continue;
      if (!out.has(o)) out.set(o, m.mountPoint);
    }
  }
  return out;
}

export function cgroupVersion(): 1 | 2 {
  const m = parseMountinfo(readProc('self', 'mountinfo')).find((x) => x.mountPoint === '/sys/fs/cgroup');
  return m?.fstype === 'cgroup2' ? 2 : 1;
}

/** controller → cgroup path of a process, from /proc/PID/cgroup (v1 lines and the "0::" v2 line). */
export function procCgroups(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readProc(pid, 'cgroup').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') out.set('', m[2]!);
    for (const c of m[1]!.split(',')) if (c) out.set(c, m[2]!);
  }
  return out;
}

/** Host directory of a process's cgroup for one v1 controller (or '' for v2). */
export function cgroupDirOf(pid: number, controller: string): string {
  const mount = cgroupMounts().get(controller);
  const path = procCgroups(pid).get(controller);
  if (!mount || path === undefined) throw new Error(`no ${controller || 'v2'} cgroup for pid ${pid}`);
  return join(mount, path);
}

/**
 * A file of a container's cgroup, read only after checking that the process really is in the
 * cgroup its config names: a process left in the runtime's cgroup (the host root, often) would
 * show the host's values, and a test would pass by reading the wrong place.
 */
export function readCgroupFile(pid: number, controller: string, file: string, cgroupsPath: string): string {
  const at = procCgroups(pid).get(controller);
  if (at !== cgroupsPath) throw new Error(`process ${pid} is in ${controller || 'v2'} cgroup ${at ?? '(none)'}, not in its cgroupsPath ${cgroupsPath}: not reading ${file} there`);
  return readFileSync(join(cgroupDirOf(pid, controller), file), 'utf8').trim();
}

/** Every mount point (host view) at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  return parseMountinfo(readProc('self', 'mountinfo'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/**
 * rm -rf that never follows a mount out of `dir`: anything a test managed to mount below it
 * (e.g. through shared propagation) is lazily unmounted first.
 */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (let round = 0; round < 5; round++) {
    const ms = mountsUnder(dir);
    if (ms.length === 0) break;
    for (const m of ms) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  }
  if (mountsUnder(dir).length > 0) throw new Error(`refusing to remove ${dir}: mounts remain below it`);
  rmSync(dir, { recursive: true, force: true });
}

/** Remove a cgroup directory tree (leaves first) in every hierarchy, killing stragglers. */
export function removeCgroupTree(path: string, o: { onlyIfEmpty?: boolean } = {}): void {
  for (const mount of new Set(cgroupMounts().values())) {
    const dir = join(mount, path);
    if (!existsSync(dir)) continue;
    if (o.onlyIfEmpty) {
      try {
        rmdirSync(dir);
      } catch {
        /* still in use by another run */
      }
    } else removeCgroupDir(dir);
  }
}

function removeCgroupDir(dir: string): void {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) removeCgroupDir(p);
    } catch {
      /* raced */
    }
  }
  try {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  } catch {
    /* no procs file */
  }
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      execFileSync('sleep', ['0.05']);
    }
  }
}
