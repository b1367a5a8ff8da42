// `exec --cgroup`: the exec'd process joins an existing sub-cgroup of the container's cgroup
// instead of the container's own, in runc's syntax: one `PATH` (every hierarchy), or
// `CONTROLLER[,CONTROLLER]:PATH`, repeatable (the hierarchies carrying those controllers; the
// others stay at the container's cgroup). The sub-cgroup is never created, and never above the
// container's cgroup.
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { OciError } from '../errors.js';
import type { CgroupRecord } from './record.js';

/** Controller → sub-cgroup path; the key '' means every hierarchy. */
export type SubCgroups = Readonly<Record<string, string>>;

/** The --cgroup arguments, as runc parses them (and with its error texts). */
export function parseSubCgroupArgs(args: readonly string[]): SubCgroups | undefined {
  if (!args.length) return undefined;
  const paths: Record<string, string> = {};
  for (const arg of args) {
    const colon = arg.indexOf(':');
    if (colon < 0) {
      if (args.length !== 1) throw invalid(`invalid --cgroup argument: ${arg} (missing <controller>: prefix)`);
      paths[''] = arg;
      continue;
    }
    const path = arg.slice(colon + 1);
    for (const ctrl of arg.slice(0, colon).split(',')) {
      if (ctrl === '') throw invalid(`invalid --cgroup argument: ${arg} (empty <controller> prefix)`);
      if (Object.hasOwn(paths, ctrl)) throw invalid(`invalid --cgroup argument(s): controller ${ctrl} specified multiple times`);
      paths[ctrl] = path;
    }
  }
  return paths;
}

/**
 * The directory the process joins in each of the container's hierarchies (record.dirs' order).
 * Errors as runc words them: a path climbing out of the container's cgroup, a controller the
 * container has no cgroup for, a sub-cgroup that does not exist.
 */
export function subCgroupDirs(cg: CgroupRecord, sub: SubCgroups | undefined): string[] {
  const dirs = cg.dirs.map((d) => d.dir);
  if (!sub) return dirs;
  const entries = Object.entries(sub);
  if (cg.mode === 'v2' && entries.some(([ctrl]) => ctrl !== '')) {
    const ctrl = entries.find(([c]) => c !== '')![0];
    throw invalid(`invalid --cgroup argument: controller ${ctrl}: cgroup v2 has a single hierarchy; give the sub-cgroup as a path without a <controller>: prefix`);
  }
  const chosen = new Map<number, string>();
  for (const [ctrl, path] of entries) {
    const indexes = ctrl === '' ? dirs.map((_, i) => i) : [hierarchyIndex(cg, ctrl)];
    for (const i of indexes) {
      const earlier = chosen.get(i);
      if (earlier !== undefined && earlier !== path) {
        throw invalid(`invalid --cgroup argument(s): controller ${ctrl} shares its hierarchy (${cg.dirs[i]!.mount}) with another controller given sub-cgroup ${earlier}`);
      }
      chosen.set(i, path);
    }
  }
  return dirs.map((base, i) => {
    const path = chosen.get(i);
    if (path === undefined) return base;
    const dir = posix.join(base, path);
    if (dir !== base && !dir.startsWith(`${base}/`)) throw invalid(`bad sub cgroup path: ${path}`);
    // runc's words for it: the pid is not known yet, the process being started into the cgroup.
    if (!existsSync(`${dir}/cgroup.procs`)) throw new OciError('ERR_CGROUP', `error adding pid to cgroups: open ${dir}/cgroup.procs: no such file or directory`);
    return dir;
  });
}

function hierarchyIndex(cg: CgroupRecord, ctrl: string): number {
  let i = cg.dirs.findIndex((d) => d.version === 1 && d.controllers.includes(ctrl));
  if (i < 0) i = cg.dirs.findIndex((d) => d.version === 2 && d.controllers.includes(ctrl));
  if (i < 0) throw invalid(`unknown controller ${ctrl} in --cgroup argument (the container's hierarchies carry ${cg.dirs.flatMap((d) => d.controllers).join(', ')})`);
  return i;
}

function invalid(message: string): OciError {
  return new OciError('ERR_INVALID_ARGUMENT', message);
}
