// What create records of a container's cgroups, for delete, pause, update, stats and kill --all.
import type { CgroupMode } from './layout.js';

export interface CgroupRecord {
  mode: CgroupMode;
  /** The container's directory in each hierarchy it joined, v1 ones first. */
  dirs: { dir: string; mount: string; version: 1 | 2; controllers: string[] }[];
  /** The directories create made, parents first: delete removes exactly these, deepest first. */
  created: string[];
}

/** The directory of the hierarchy carrying `controller` (v1 first, then the unified one). */
export function dirOf(cg: CgroupRecord, controller: string): CgroupRecord['dirs'][number] | undefined {
  return cg.dirs.find((d) => d.version === 1 && d.controllers.includes(controller)) ?? cg.dirs.find((d) => d.version === 2 && d.controllers.includes(controller));
}

export function unifiedDir(cg: CgroupRecord): CgroupRecord['dirs'][number] | undefined {
  return cg.dirs.find((d) => d.version === 2);
}
