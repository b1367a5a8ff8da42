// The parent's step (lib/protocol/messages.ts, READY/GO): what the runtime does to the container
// process while it waits, its namespaces made and nothing of the container set up yet. This is the
// place for per-container set-up that must be in force before the executor goes on (a cgroup to
// join belongs here, before GO). The executor asks for this step only when the plan says there is
// something to do (NamespacePhase.parentStep).
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
  const lines = (maps: LinuxIDMapping[] | undefined) => (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  writeProcFile(pid, 'uid_map', lines(spec.linux?.uidMappings));
  writeProcFile(pid, 'gid_map', lines(spec.linux?.gidMappings));
}

function writeProcFile(pid: number, name: string, text: string): void {
  try {
    writeFileSync(`/proc/${pid}/${name}`, text);
  } catch (err) {
    throw new OciError('ERR_CONTAINER_INIT', `create: write ${JSON.stringify(text.trim())} to /proc/${pid}/${name}: ${(err as Error).message}`);
  }
}
