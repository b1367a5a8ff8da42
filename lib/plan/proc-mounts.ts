// Mounts on and inside /proc (runc's checkProcMount; CVE-2019-19921, and its regression
// CVE-2023-27561): something mounted over procfs files hides what the runtime relies on there
// (the LSM attributes, masked and read-only paths) or fakes them. Only a procfs goes on /proc, and
// inside it only the files lxcfs emulates. The destination as written is checked when planned;
// the target as resolved in the rootfs (an image's symlink can lead into /proc) is checked when
// mounted: it must not be on procfs.
import { posix } from 'node:path';
import { ERRNO, PROC_SUPER_MAGIC, STATFS_SIZE } from '../../bindings/constants.js';
import type { Reg } from '../../bindings/program.js';
import { OciError } from '../errors.js';
import type { Mount } from '../spec/index.js';
import type { PlanContext } from './context.js';

/** What lxcfs bind-mounts into /proc (runc's list). */
const EMULATED = new Set(['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid']);

function clean(destination: string): string {
  return posix.normalize(`/${destination}`).replace(/(.)\/+$/, '$1');
}

/** Refuses a mount on /proc that is not procfs, or inside /proc that lxcfs does not emulate. */
export function checkProcMount(mount: Mount, index: number): void {
  const dest = clean(mount.destination);
  if (dest === '/proc') {
    if (mount.type === 'proc') return;
    throw new OciError('ERR_INVALID_CONFIG', `config.json: /mounts/${index}: "${mount.destination}" cannot be mounted because it is not of type proc`);
  }
  if (dest.startsWith('/proc/') && !EMULATED.has(dest)) {
    throw new OciError('ERR_INVALID_CONFIG', `config.json: /mounts/${index}: "${mount.destination}" cannot be mounted because it is inside /proc`);
  }
}

/** Ops: fail (EPERM) when the resolved target `target` is on procfs, unless lxcfs emulates it. */
export function planTargetNotOnProcfs(ctx: PlanContext, target: Reg, destination: string, what: string): void {
  if (EMULATED.has(clean(destination))) return;
  const b = ctx.b;
  const statfs = b.bytes(Buffer.alloc(STATFS_SIZE));
  b.syscall('fstatfs', [target, statfs, 0], `${what}: fstatfs the target`);
  b.test(statfs, 8, 0xffffffff, PROC_SUPER_MAGIC, { failErrno: ERRNO.EPERM }, `${what}: the target resolved inside /proc (a symlink in the rootfs leads there), where nothing may be mounted`);
}
