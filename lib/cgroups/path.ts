// The container's cgroup directory in each hierarchy, from linux.cgroupsPath as runc reads it:
// absolute: below the hierarchy's mount point; relative: below this process's own cgroup in that
// hierarchy; absent: `<own cgroup>/<container id>`. The systemd form (slice:prefix:name) needs
// systemd's D-Bus API and is refused where systemd does not run.
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { OciError } from '../errors.js';
import type { CgroupLayout, Hierarchy } from './layout.js';

export interface CgroupDir {
  hierarchy: Hierarchy;
  /** The directory (mount point + cgroup path). */
  dir: string;
  /** The directory the cgroup path is taken from: nothing at or above it is ever created or removed. */
  base: string;
}

/** True for runc's systemd syntax, "slice:prefix:name". */
export function isSystemdPath(path: string): boolean {
  return !path.startsWith('/') && path.split(':').length === 3;
}

/** The cgroup path relative to a hierarchy's root, or relative to the own cgroup (`relative`). */
export function cgroupPathOf(cgroupsPath: string | undefined, id: string): { path: string; relative: boolean } {
  if (cgroupsPath === undefined || cgroupsPath === '') return { path: id, relative: true };
  if (isSystemdPath(cgroupsPath)) {
    const systemd = existsSync('/run/systemd/system');
    throw new OciError(
      'ERR_NOT_SUPPORTED',
      `config.json: /linux/cgroupsPath "${cgroupsPath}" is systemd's slice:prefix:name form; ` +
        (systemd ? 'ocirun has no systemd cgroup driver yet' : 'systemd does not run on this host (ocirun drives cgroupfs only)'),
    );
  }
  // Cleaned as runc does (CleanPath): ".." cannot climb above the root it is taken from.
  const relative = !cgroupsPath.startsWith('/');
  const clean = posix.normalize(`/${cgroupsPath}`);
  if (clean === '/') {
    throw new OciError('ERR_INVALID_CONFIG', `config.json: /linux/cgroupsPath "${cgroupsPath}" names the root of the hierarchy, which a container cannot own`);
  }
  return { path: relative ? clean.slice(1) : clean, relative };
}

/** One directory per hierarchy of the layout. */
export function cgroupDirs(layout: CgroupLayout, cgroupsPath: string | undefined, id: string, own: () => { v1: Map<string, string>; unified: string }): CgroupDir[] {
  const { path, relative } = cgroupPathOf(cgroupsPath, id);
  const mine = relative ? own() : undefined;
  return layout.hierarchies.map((hierarchy) => {
    let base = hierarchy.mount;
    if (mine) {
      const ownPath = hierarchy.version === 2 ? mine.unified : mine.v1.get(hierarchy.controllers[0]!) ?? '/';
      base = posix.join(hierarchy.mount, ownPath);
    }
    return { hierarchy, dir: posix.join(base, path), base };
  });
}
