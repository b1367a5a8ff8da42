// delete --force of a container whose create never committed (its runtime was killed, or it is
// still running: delete then waits for create's lock, so only a dead creator's leftovers are
// found here). Create journals its cgroups before making them and stages the record (pid and
// start time) as soon as the container process's pid is known, before it answers that process;
// so whatever a kill at any step left is named here: the process (and its pid namespace), the
// cgroups and what is in them. The state directory itself (fifo, journal, staged record) is the
// caller's to remove.
import type { StateStore } from '../state/store.js';
import { removeContainerCgroup } from './cgroup-teardown.js';
import { isSameLiveProcess } from './process-info.js';
import { processesInContainer, signalProcess, waitUntilGone } from './signals.js';

export async function recoverUnfinishedCreate(store: StateStore, id: string, warn: (message: string) => void): Promise<void> {
  const { journal, staged } = store.unfinished(id);
  if (staged && isSameLiveProcess(staged.pid, staged.startTime)) {
    for (const pid of processesInContainer(staged)) signalProcess(pid, undefined, 9);
    signalProcess(staged.pid, staged.startTime, 9);
    await waitUntilGone(staged.pid, staged.startTime);
  }
  // Kills what is left in them (a process that had joined before its pid was staged), then
  // removes exactly the directories create made.
  const cgroup = staged?.cgroup ?? journal?.cgroup;
  if (cgroup) await removeContainerCgroup(cgroup, warn);
}
