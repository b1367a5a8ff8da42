// Idmapped mounts (config.md `uidMappings`/`gidMappings`, options `idmap`/`ridmap`): a bind
// mount gets MOUNT_ATTR_IDMAP with a user namespace that carries the mount's mapping. The runtime
// makes one such namespace per distinct mapping (lib/lifecycle/idmap-namespaces.ts) and hands it
// to the executor at a fixed fd; this module says which mounts need which.
import { OciError } from '../errors.js';
import type { LinuxIDMapping, Mount, Spec } from '../spec/index.js';

export interface IdMapping {
  uid: LinuxIDMapping[];
  gid: LinuxIDMapping[];
  /** The indices of the mounts that use it, for error messages (/mounts/N). */
  mounts: number[];
}

export interface IdmappedMount {
  /** Index into the distinct mappings (and the fds made for them). */
  mapping: number;
  recursive: boolean;
  /** How errors name it: `/mounts/N (idmap)`. */
  pointer: string;
}

export interface IdmapPlan {
  /** Distinct mappings, in the order their namespace fds are numbered. */
  mappings: IdMapping[];
  /** By mount index. */
  mounts: Map<number, IdmappedMount>;
}

function idmapOption(m: Mount): 'idmap' | 'ridmap' | undefined {
  return m.options?.find((o): o is 'idmap' | 'ridmap' => o === 'idmap' || o === 'ridmap');
}

export function isIdmapped(m: Mount): boolean {
  return Boolean(m.uidMappings || m.gidMappings || idmapOption(m));
}

/**
 * Which mounts are idmapped and with what mapping. `idmap`/`ridmap` without mappings of their own
 * take the container's user namespace mapping (config.md allows it; runc does the same).
 */
export function planIdmaps(spec: Spec): IdmapPlan {
  const mappings: IdMapping[] = [];
  const keys: string[] = [];
  const mounts = new Map<number, IdmappedMount>();
  (spec.mounts ?? []).forEach((m, i) => {
    if (!isIdmapped(m)) return;
    const where = `config.json: /mounts/${i} (${m.destination})`;
    const bind = m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind');
    if (!bind) throw new OciError('ERR_INVALID_CONFIG', `${where}: id mappings apply only to bind mounts (add "bind" or "rbind")`);
    let mapping: Omit<IdMapping, 'mounts'>;
    if (m.uidMappings?.length || m.gidMappings?.length) {
      if (!m.uidMappings?.length || !m.gidMappings?.length) {
        throw new OciError('ERR_INVALID_CONFIG', `${where}: an idmapped mount needs both uidMappings and gidMappings`);
      }
      mapping = { uid: m.uidMappings, gid: m.gidMappings };
    } else {
      const linux = spec.linux ?? {};
      const userns = linux.namespaces?.some((n) => n.type === 'user');
      if (!userns || !linux.uidMappings?.length || !linux.gidMappings?.length) {
        throw new OciError('ERR_INVALID_CONFIG', `${where}: "${idmapOption(m)}" without uidMappings/gidMappings needs the container's own user namespace mapping (linux.uidMappings/gidMappings), and there is none`);
      }
      mapping = { uid: linux.uidMappings, gid: linux.gidMappings };
    }
    const key = JSON.stringify(mapping);
    let index = keys.indexOf(key);
    if (index < 0) {
      index = keys.push(key) - 1;
      mappings.push({ ...mapping, mounts: [] });
    }
    mappings[index]!.mounts.push(i);
    const option = idmapOption(m) ?? 'idmap';
    mounts.set(i, { mapping: index, recursive: option === 'ridmap', pointer: `/mounts/${i} (${option})` });
  });
  return { mappings, mounts };
}

/** The text of /proc/<pid>/uid_map or gid_map for a mapping. */
export function mapText(map: readonly LinuxIDMapping[]): string {
  return map.map((e) => `${e.containerID} ${e.hostID} ${e.size}\n`).join('');
}
