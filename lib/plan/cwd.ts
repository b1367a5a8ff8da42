// The process's working directory. A path checked once and entered later by name can be swapped
// in between (a symlink to /proc/self/fd/N of a runtime fd on a host directory: runc's
// CVE-2024-21626). So the cwd is opened once inside the root (openat2 RESOLVE_IN_ROOT, no magic
// links), kept at a fixed fd, entered with fchdir, and checked with getcwd to be inside the root.
import { AT, ERRNO, O, RESOLVE } from '../../bindings/constants.js';
import type { Reg } from '../../bindings/program.js';
import type { PlanContext } from './context.js';
import { relativeInRoot } from './context.js';

/**
 * Open `cwd` inside the directory `root` (a register, or AT_FDCWD for the current directory once
 * it is the root) as an O_PATH fd at number `fd`: planEnterCwd enters it.
 */
export function planOpenCwd(ctx: PlanContext, root: Reg | typeof AT.FDCWD, cwd: string, fd: number): void {
  const b = ctx.b;
  const tmp = ctx.regs.tmp;
  const how = ctx.how(O.PATH | O.DIRECTORY | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
  b.syscall('openat2', [root, ctx.str(relativeInRoot(cwd)), how, 24], `cwd ${cwd}: open ${cwd} in the container's root`, { save: tmp });
  // dup3 refuses to move an fd onto itself (EINVAL): then it is already in place.
  b.syscall('dup3', [tmp, fd, O.CLOEXEC], `cwd ${cwd}: keep it at fd ${fd}`, { tolerate: [ERRNO.EINVAL] });
  ctx.cwdFd = fd;
}

/** fchdir to the fd planOpenCwd kept; `tolerate` EACCES to retry after the user switch. */
export function planFchdirCwd(ctx: PlanContext, cwd: string, description: string, options: Parameters<PlanContext['b']['syscall']>[3] = {}): void {
  if (ctx.cwdFd === undefined) throw new Error('planner: the cwd was never opened (planOpenCwd)');
  ctx.b.syscall('fchdir', [ctx.cwdFd], `${description} (${cwd})`, options);
}

/** The directory entered must be reachable from the root: getcwd says "(unreachable)…" otherwise. */
export function planCheckCwd(ctx: PlanContext, cwd: string): void {
  const b = ctx.b;
  const buf = b.zeroed(4096);
  b.syscall('getcwd', [buf, 4096], `cwd ${cwd}: getcwd`);
  b.test(buf, 2, 0xff, '/'.charCodeAt(0), { failErrno: ERRNO.EPERM }, `cwd ${cwd}: the working directory is outside the container's root (possible breakout)`, true);
}
