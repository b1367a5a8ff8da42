// delete's last step for cgroups: what is left in them (processes that left the container's init,
// in a container without a pid namespace) is killed, then exactly the directories create made are
// removed, deepest first.
import { cgroupPids, isFrozen, setFrozen, signalAll } from '../cgroups/control.js';
import { removeCgroups } from '../cgroups/create.js';
import type { CgroupRecord } from '../cgroups/record.js';

export async function removeContainerCgroup(cg: CgroupRecord, warn: (message: string) => void): Promise<void> {
  if (cgroupPids(cg).length) {
    if (isFrozen(cg)) await setFrozen(cg, false);
    await signalAll(cg, 9);
  }
  const left = removeCgroups(cg);
  if (left.length) warn(`delete: cgroup ${left.join(', ')} could not be removed (busy)`);
}
