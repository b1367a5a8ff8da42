// The container's cgroups: which driver applies (layout.ts), where its directories are (path.ts),
// what its resources write (resources.ts → v1.ts, v2.ts, devices.ts, device-program.ts), making
// and removing them (create.ts), what is in them (members.ts), and the verbs on a live container
// (control.ts, stats.ts).
import { host } from '../host/host.js';
import { cgroupLayout, type CgroupLayout } from './layout.js';

export type { CgroupLayout, CgroupMode } from './layout.js';
export type { CgroupRecord } from './record.js';
export type { CgroupSettings } from './settings.js';

let layout: CgroupLayout | undefined;
/** This host's layout, read once per process. */
export function hostLayout(): CgroupLayout {
  return (layout ??= cgroupLayout(host().cgroups));
}
