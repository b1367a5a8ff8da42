// process.apparmorProfile and process.selinuxLabel: written to the LSM's exec attribute under
// /proc/thread-self/attr after pivot_root, through the container's /proc. That /proc is whatever
// is mounted there: a bind or volume the image asked for over /proc turns the write into one to an
// ordinary file, and the program runs without its profile (runc's CVE-2019-16884). So the file
// written must be on procfs (fstatfs), or create fails.
import { ERRNO, O, PROC_SUPER_MAGIC, STATFS_SIZE } from '../../bindings/constants.js';
import { existsFact } from '../host/facts.js';
import { OciError } from '../errors.js';
import type { Process } from '../spec/index.js';
import type { PlanContext } from './context.js';

export function planSecurityLabels(ctx: PlanContext, proc: Process): void {
  if (proc.apparmorProfile) {
    if (!existsFact('/sys/kernel/security/apparmor')) {
      throw new OciError('ERR_NOT_SUPPORTED', `process.apparmorProfile "${proc.apparmorProfile}": AppArmor is not enabled on this host`);
    }
    planProcAttrWrite(ctx, '/proc/thread-self/attr/apparmor/exec', `exec ${proc.apparmorProfile}`, `apparmor profile ${proc.apparmorProfile}`);
  }
  if (proc.selinuxLabel) {
    if (!existsFact('/sys/fs/selinux/enforce')) {
      throw new OciError('ERR_NOT_SUPPORTED', `process.selinuxLabel "${proc.selinuxLabel}": SELinux is not enabled on this host`);
    }
    planProcAttrWrite(ctx, '/proc/thread-self/attr/exec', proc.selinuxLabel, `selinux label ${proc.selinuxLabel}`);
  }
}

/** Write `text` to the procfs file `path`, refusing (EPERM) a file that is not on procfs. */
export function planProcAttrWrite(ctx: PlanContext, path: string, text: string, what: string): void {
  const b = ctx.b;
  const fd = ctx.regs.tmp;
  const data = Buffer.from(text);
  const statfs = b.bytes(Buffer.alloc(STATFS_SIZE));
  b.syscall('openat', [-100, ctx.str(path), O.WRONLY | O.CLOEXEC, 0], `${what}: open ${path}`, { save: fd });
  b.syscall('fstatfs', [fd, statfs, 0], `${what}: fstatfs ${path}`);
  b.test(statfs, 8, 0xffffffff, PROC_SUPER_MAGIC, { failErrno: ERRNO.EPERM }, `${what}: ${path} is not on procfs (something is mounted over /proc: CVE-2019-16884)`, true);
  b.syscall('write', [fd, b.bytes(data), data.length], `${what}: write ${path}`);
  b.syscall('close', [fd], `${what}: close`);
}
