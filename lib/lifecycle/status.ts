// A container's status (runtime.md "state"), derived from facts, never trusted from a stored
// word: is the recorded process alive with the recorded start time? does the exec fifo (the start
// gate) still exist?
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, State } from '../spec/index.js';
import type { ContainerRecord } from '../state/store.js';
import { isSameLiveProcess } from './process-info.js';
import { isFrozen } from '../cgroups/control.js';
import { FIFO } from './start-gate.js';

export interface ContainerState extends Omit<State, 'status'> {
  status: ContainerStatus;
  rootfs: string;
  created: string;
  owner: string;
}

/** `dir`: the container's state directory; `alive`: known already (our own child, not reaped). */
export function statusOf(record: ContainerRecord, dir: string, alive = isSameLiveProcess(record.pid, record.startTime)): ContainerStatus {
  if (!alive) return 'stopped';
  if (existsSync(join(dir, FIFO))) return 'created';
  return record.cgroup && isFrozen(record.cgroup) ? 'paused' : 'running';
}

/** The state `state` prints (runc's fields: rootfs, created, owner). */
export function stateOf<S extends ContainerStatus>(record: ContainerRecord, status: S): ContainerState & { status: S } {
  const state: ContainerState & { status: S } = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (record.annotations && Object.keys(record.annotations).length) state.annotations = record.annotations;
  return state;
}
