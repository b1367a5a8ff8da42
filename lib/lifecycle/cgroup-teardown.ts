// delete's last step for cgroups: what is left in them (processes that left the container's init,
// in a container without a pid namespace) is killed, then exactly the directories create made are
// removed, deepest first.
import { cgroupPids, isFrozen, setFrozen, signalAll } from '../cgroups/control.js';
import { removeCgroups, removeEmptyCgroups } from '../cgroups/create.js';
import { pidsUnder } from '../cgroups/members.js';
import type { CgroupRecord } from '../cgroups/record.js';
import { signalProcess } from './signals.js';

export async function removeContainerCgroup(cg: CgroupRecord, warn: (message: string) => void): Promise<void> {
  // Nothing left in them (the usual delete, after the container exited): no listing, no waiting.
  if (removeEmptyCgroups(cg)) return;
  if (cgroupPids(cg).length) {
    if (isFrozen(cg)) await setFrozen(cg, false);
    await signalAll(cg, 9);
  }
  // A process can sit in some hierarchies and not in the one looked at above (a create killed
  // while its child joined them one by one): whatever is in any of them is killed before the
  // removal waits for the directories to empty.
  killMembers(cg.dirs.map((d) => d.dir));
  const left = removeCgroups(cg);
  if (left.length) warn(`delete: cgroup ${left.join(', ')} could not be removed (busy)`);
}

/** SIGKILL to every process in these cgroups (and below). */
function killMembers(dirs: string[]): void {
  // Read from the cgroups a moment ago; signalled through a pidfd, so an exited one is skipped.
  for (const dir of dirs) for (const pid of pidsUnder(dir)) signalProcess(pid, undefined, 9);
}
