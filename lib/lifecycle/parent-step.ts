// The parent's step (lib/protocol/messages.ts, READY/GO): what the runtime does to the container
// process while it waits, its namespaces made and nothing of the container set up yet. This is the
// place for per-container set-up that must be in force before the executor goes on (a cgroup to
// join belongs here, before GO). The executor asks for this step only when the plan says there is
// something to do (NamespacePhase.parentStep).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { OciError } from '../errors.js';
import { timensOffsets, type NamespacePhase } from '../plan/namespaces.js';
import type { LinuxIDMapping, Spec } from '../spec/index.js';

/** Writes what the container process `pid` needs from outside: id maps, time offsets, oom_score_adj. */
export function parentStep(pid: number, namespaces: NamespacePhase, spec: Spec | undefined): void {
  if (namespaces.newUser && spec) writeIdMaps(pid, spec);
  const offsets = timensOffsets(spec?.linux?.timeOffsets);
  if (namespaces.newTime && offsets) writeProcFile(pid, 'timens_offsets', offsets);
  const oom = spec?.process?.oomScoreAdj;
  if (oom !== undefined) writeProcFile(pid, 'oom_score_adj', String(oom));
}

function writeIdMaps(pid: number, spec: Spec): void {
  const uid = spec.linux?.uidMappings ?? [];
  const gid = spec.linux?.gidMappings ?? [];
  if ((process.geteuid?.() ?? 0) !== 0) return writeIdMapsUnprivileged(pid, uid, gid);
  writeProcFile(pid, 'uid_map', lines(uid));
  writeProcFile(pid, 'gid_map', lines(gid));
}

const lines = (maps: readonly LinuxIDMapping[]) => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');

/**
 * Not root: the kernel takes a map of our own id alone (one id; the gid map only once setgroups is
 * denied). Anything more goes through the setuid newuidmap/newgidmap, which check /etc/subuid
 * and /etc/subgid.
 */
function writeIdMapsUnprivileged(pid: number, uid: readonly LinuxIDMapping[], gid: readonly LinuxIDMapping[]): void {
  const own = (maps: readonly LinuxIDMapping[], id: number) => maps.length === 1 && maps[0].size === 1 && maps[0].hostID === id;
  if (own(uid, process.geteuid!())) writeProcFile(pid, 'uid_map', lines(uid));
  else newIdMap('newuidmap', pid, uid);
  if (own(gid, process.getegid!())) {
    writeProcFile(pid, 'setgroups', 'deny');
    writeProcFile(pid, 'gid_map', lines(gid));
  } else newIdMap('newgidmap', pid, gid);
}

function newIdMap(tool: 'newuidmap' | 'newgidmap', pid: number, maps: readonly LinuxIDMapping[]): void {
  const args = [String(pid), ...maps.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `${tool} is not installed (Debian package uidmap)` : r.error.message) : (r.stderr.trim() || `exit status ${r.status}`);
    const file = tool === 'newuidmap' ? '/etc/subuid' : '/etc/subgid';
    throw new OciError('ERR_CONTAINER_INIT', `create: ${tool === 'newuidmap' ? 'linux.uidMappings' : 'linux.gidMappings'} (${lines(maps).trim().replace(/\n/g, '; ')}) maps more than this user's own id, which needs root or ${tool} with ${file} granting the ids: ${why}`);
  }
}

function writeProcFile(pid: number, name: string, text: string): void {
  try {
    writeFileSync(`/proc/${pid}/${name}`, text);
  } catch (err) {
    throw new OciError('ERR_CONTAINER_INIT', `create: write ${JSON.stringify(text.trim())} to /proc/${pid}/${name}: ${(err as Error).message}`);
  }
}
