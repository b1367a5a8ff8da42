// delete's last step for cgroups: what is left in them (processes that left the container's init,
// in a container without a pid namespace) is killed, then exactly the directories create made are
// removed, deepest first. Never throws: what could not be killed or removed is a warning that
// names the directories, and the removal is tried whatever the killing did.
import { cgroupPids, isFrozen, killMembers, setFrozen, signalAll } from '../cgroups/control.js';
import { removeCgroups, removeEmptyCgroups } from '../cgroups/create.js';
import type { CgroupRecord } from '../cgroups/record.js';

export async function removeContainerCgroup(cg: CgroupRecord, warn: (message: string) => void): Promise<void> {
  // Nothing left in them (the usual delete, after the container exited): no listing, no waiting.
  if (removeEmptyCgroups(cg)) return;
  try {
    if (cgroupPids(cg).length) {
      if (isFrozen(cg)) await setFrozen(cg, false);
      await signalAll(cg, 9);
    }
    // Before the removal waits for the directories to empty.
    killMembers(cg);
  } catch (err) {
    warn(`delete: killing what is left in cgroup ${cg.dirs.map((d) => d.dir).join(', ')}: ${(err as Error).message}`);
  }
  const left = removeCgroups(cg);
  if (left.length) warn(`delete: cgroup ${left.join(', ')} could not be removed (busy)`);
}
