// Host requirements. Each returns the reason a test cannot run here, or undefined when it can;
// `h.requires(...)` turns a reason into a skip that the report shows — never a silent skip.
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { cgroupMounts, cgroupVersion, procStatus } from './host.js';

export type Requirement = () => string | undefined;

export const cgroupV1 = (controller: string): Requirement => () =>
  cgroupVersion() !== 1
    ? 'cgroup v1 only (host runs cgroup v2 unified)'
    : cgroupMounts().has(controller)
      ? undefined
      : `cgroup v1 controller "${controller}" is not mounted on this host`;

export const cgroupV2Unified: Requirement = () =>
  cgroupVersion() === 2 ? undefined : 'cgroup v2 only (host has a cgroup v1 or hybrid layout)';

export const cgroupV1File = (controller: string, file: string): Requirement => () => {
  const why = cgroupV1(controller)();
  if (why) return why;
  const mount = cgroupMounts().get(controller)!;
  // Some files (pids.max, ...) exist only below the root cgroup: look in a fresh child cgroup, so
  // the answer does not depend on which cgroups happen to exist on the host right now.
  const probe = `${mount}/oci-conformance-probe-${process.pid}-${++probeSeq}`;
  mkdirSync(probe);
  try {
    return existsSync(`${probe}/${file}`) ? undefined : `kernel does not provide ${controller} ${file} (config option off)`;
  } finally {
    rmdirSync(probe);
  }
};
let probeSeq = 0;

export const apparmor: Requirement = () =>
  readFileSafe('/sys/module/apparmor/parameters/enabled')?.trim() === 'Y' ? undefined : 'AppArmor is not enabled on this host';

export const selinux: Requirement = () =>
  existsSync('/sys/fs/selinux/enforce') ? undefined : 'SELinux is not enabled on this host';

export const resctrl: Requirement = () =>
  (readFileSafe('/proc/self/mountinfo') ?? '').includes(' - resctrl ') ? undefined : 'no resctrl filesystem mounted (Intel RDT unavailable)';

export const kernelFile = (path: string, what: string): Requirement => () =>
  existsSync(path) ? undefined : `kernel feature missing: ${what} (${path} absent)`;

/** Capability in the runtime's own bounding set (this VM lacks CAP_SYS_RESOURCE, for example). */
export const hostCap = (bit: number, name: string): Requirement => () =>
  (BigInt(`0x${procStatus('self').CapBnd ?? '0'}`) >> BigInt(bit)) & 1n ? undefined : `host lacks ${name} in its bounding set`;

export const command = (path: string): Requirement => () => (existsSync(path) ? undefined : `host tool ${path} is not installed`);

export const numa: Requirement = () =>
  existsSync('/proc/self/numa_maps') ? undefined : 'kernel built without NUMA (no /proc/self/numa_maps)';

function readFileSafe(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
