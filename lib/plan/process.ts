// The container process: rlimits, keyring, personality, scheduling, capabilities, user and
// groups, no_new_privs, umask, cwd, stdio and inherited fds, then the executable lookup and
// execve. Shared by `create` (after the rootfs) and `exec` (after joining the namespaces).
import { posix } from 'node:path';
import { AT, CLOSE_RANGE_CLOEXEC, ERRNO, F_SETFD, KEYCTL_JOIN_SESSION_KEYRING, O, PR, RESOLVE, S } from '../../bindings/constants.js';
import { capabilityNumber } from '../../bindings/capabilities.js';
import { capsetData, capsetHeader, gidArray, rlimit, STATX } from '../../bindings/structs.js';
import { OciError } from '../errors.js';
import type { LinuxIOPriority, Process, Scheduler } from '../spec/index.js';
import type { PlanContext } from './context.js';
import { planCheckCwd, planFchdirCwd } from './cwd.js';
import { CONTAINER_ID_SLOT } from './slots.js';

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The size of the container id slot (ids are at most 1024 bytes: lib/state/store.ts). */
const CONTAINER_ID_SLOT_SIZE = 1025;

export interface ProcessPlanOptions {
  /**
   * Join a new session keyring named after the container, as runc does; false: keep the
   * caller's. The name goes into the program's CONTAINER_ID_SLOT, filled in per container.
   */
  keyring?: boolean;
  preserveFds: number;
  /** Before the final exec: e.g. report "created" and wait on the exec fifo. */
  beforeExec?: () => void;
}

/** Resource limits and session keyring: these need privileges the user switch drops. */
export function planProcessLimits(ctx: PlanContext, proc: Process, opts: ProcessPlanOptions): void {
  const b = ctx.b;
  if (opts.keyring) {
    const name = b.slot(CONTAINER_ID_SLOT, CONTAINER_ID_SLOT_SIZE);
    b.syscall('keyctl', [KEYCTL_JOIN_SESSION_KEYRING, name], 'join a new session keyring named after the container', {
      tolerate: [ERRNO.ENOSYS],
    });
  }
  (proc.rlimits ?? []).forEach((r, i) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new OciError('ERR_INVALID_CONFIG', `process.rlimits[${i}]: unknown rlimit type "${r.type}"`);
    b.syscall('prlimit64', [0, resource, b.bytes(rlimit(r.soft, r.hard)), 0], `set ${r.type} to soft ${r.soft}, hard ${r.hard}`);
  });
  if (proc.scheduler) planScheduler(ctx, proc.scheduler);
  if (proc.ioPriority) planIoPriority(ctx, proc.ioPriority);
}

/** User, groups, capabilities, no_new_privs, umask, cwd. */
export function planCredentials(ctx: PlanContext, proc: Process, opts: { setgroupsMayBeDenied?: boolean } = {}): void {
  const b = ctx.b;
  const caps = proc.capabilities ?? {};
  // A name the kernel cannot map is logged as a warning by validation and otherwise ignored
  // (config.md: "MUST be logged as a warning … SHOULD NOT fail").
  const toNumbers = (_set: string, names: readonly string[] | undefined) =>
    (names ?? []).map((n) => capabilityNumber(n)).filter((c): c is number => c !== undefined);
  const bounding = new Set(toNumbers('bounding', caps.bounding));
  const effective = toNumbers('effective', caps.effective);
  const permitted = toNumbers('permitted', caps.permitted);
  const inheritable = toNumbers('inheritable', caps.inheritable);
  const ambient = toNumbers('ambient', caps.ambient);

  // The bounding set can only shrink, and only while we still hold CAP_SETPCAP: first.
  for (let c = 0; c <= ctx.host.capLastCap; c++) {
    if (!bounding.has(c)) b.syscall('prctl', [PR.CAPBSET_DROP, c, 0, 0, 0], `drop capability ${c} from the bounding set`);
  }

  const user = proc.user ?? { uid: 0, gid: 0 };
  const uid = user.uid ?? 0;
  const gid = user.gid ?? 0;
  const groups = user.additionalGids ?? [];

  const switchUser = () => {
    // Rootless with only the caller's gid mapped, /proc/<pid>/setgroups is "deny" (user_namespaces(7)):
    // with no additional groups asked for, the inherited ones stay (as with runc).
    const tolerate = opts.setgroupsMayBeDenied && groups.length === 0 ? { tolerate: [ERRNO.EPERM] } : {};
    b.syscall('setgroups', [groups.length, b.bytes(gidArray(groups))], `set additional groups [${groups.join(', ')}]`, tolerate);
    b.syscall('prctl', [PR.SET_KEEPCAPS, 1, 0, 0, 0], 'keep capabilities across the user switch');
    b.syscall('setresgid', [gid, gid, gid], `set gid ${gid}`);
    b.syscall('setresuid', [uid, uid, uid], `set uid ${uid}`);
    b.syscall('prctl', [PR.SET_KEEPCAPS, 0, 0, 0, 0], 'clear keep-capabilities');
  };
  // chdir while still root, so a cwd the user cannot search still works; if root could not
  // (EACCES), retry after the switch. Both branches switch the user: jumps only go forward.
  // The cwd is entered through the fd its check opened, never by name again (lib/plan/cwd.ts).
  const cwd = proc.cwd || '/';
  const cwdSet = b.label('cwd set');
  const switched = b.label('user switched');
  planFchdirCwd(ctx, cwd, 'chdir to cwd', { tolerate: [ERRNO.EACCES], onSuccess: cwdSet });
  switchUser();
  planFchdirCwd(ctx, cwd, 'chdir to cwd set in config.json');
  b.goto(switched, 'cwd set after the user switch');
  b.place(cwdSet);
  switchUser();
  b.place(switched);
  planCheckCwd(ctx, cwd);

  b.syscall('capset', [b.bytes(capsetHeader()), b.bytes(capsetData(effective, permitted, inheritable))], 'set the effective, permitted and inheritable capabilities');
  b.syscall('prctl', [PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0, 0, 0], 'clear the ambient capabilities', { tolerate: [ERRNO.EINVAL] });
  for (const c of ambient) {
    // The kernel refuses an ambient capability that is not also permitted and inheritable.
    // runc ignores that refusal (its default config asks for ambient caps with no inheritable
    // set); so do we, so the same configs run.
    b.syscall('prctl', [PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, c, 0, 0], `raise ambient capability ${c}`, { tolerate: [ERRNO.EPERM, ERRNO.EINVAL] });
  }
  if (proc.noNewPrivileges) b.syscall('prctl', [PR.SET_NO_NEW_PRIVS, 1, 0, 0, 0], 'set no_new_privs');
  b.syscall('umask', [user.umask ?? 0o022], `set umask ${(user.umask ?? 0o022).toString(8).padStart(4, '0')}`);
}

/** stdio and --preserve-fds survive execve; everything else is closed by it. */
export function planFds(ctx: PlanContext, preserveFds: number): void {
  const b = ctx.b;
  // Node opens everything close-on-exec, fds 0-2 included (DESIGN.md fact 4).
  for (let fd = 0; fd < 3 + preserveFds; fd++) {
    b.syscall('fcntl', [fd, F_SETFD, 0], `keep fd ${fd} open across exec`, { tolerate: [ERRNO.EBADF] });
  }
  b.syscall('close_range', [3 + preserveFds, 0xffffffff, CLOSE_RANGE_CLOEXEC], `close fds from ${3 + preserveFds} up at exec`);
}

/**
 * Fds 0-2 that are the host's /dev/null (a detached container's stdio, often) become the
 * container's own /dev/null, as runc's reOpenDevNull does: a host fd would otherwise lead out of
 * the container (/proc/self/fd/0 names the host's /dev). Run inside the container's root.
 */
export function planReopenDevNull(ctx: PlanContext): void {
  const b = ctx.b;
  const st = b.zeroed(STATX.SIZE);
  for (const fd of [0, 1, 2]) {
    const next = b.label(`fd ${fd} checked`);
    b.syscall('statx', [fd, ctx.str(''), AT.EMPTY_PATH, STATX.MASK_BASIC, st], `stdio: stat fd ${fd}`, { tolerate: [ERRNO.EBADF], onTolerated: next });
    b.test(st.at(STATX.MODE), 2, S.IFMT, S.IFCHR, { jump: next }, `stdio: fd ${fd} is not a character device`, true);
    b.test(st.at(STATX.RDEV_MAJOR), 4, 0xffffffff, 1, { jump: next }, `stdio: fd ${fd} is not /dev/null`, true);
    b.test(st.at(STATX.RDEV_MINOR), 4, 0xffffffff, 3, { jump: next }, `stdio: fd ${fd} is not /dev/null`, true);
    b.syscall('openat2', [AT.FDCWD, ctx.str('/dev/null'), ctx.how(O.RDWR | O.CLOEXEC, RESOLVE.NO_MAGICLINKS), 24], `stdio: fd ${fd} is the host's /dev/null: open the container's /dev/null`, { save: ctx.regs.tmp });
    b.syscall('dup3', [ctx.regs.tmp, fd, 0], `stdio: the container's /dev/null becomes fd ${fd}`);
    b.syscall('close', [ctx.regs.tmp], 'stdio: close the spare /dev/null fd');
    b.place(next);
  }
}

/** PATH candidates for args[0], searched inside the container (after pivot_root). */
export function executableCandidates(proc: Process): string[] {
  const arg0 = proc.args?.[0];
  if (!arg0) throw new OciError('ERR_INVALID_CONFIG', 'process.args must name the program to run');
  if (arg0.includes('/')) return [posix.isAbsolute(arg0) ? arg0 : posix.join(proc.cwd || '/', arg0)];
  const pathVar = (proc.env ?? []).find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  return pathVar
    .split(':')
    .map((d) => d || '.')
    .map((d) => posix.join(posix.isAbsolute(d) ? d : posix.join(proc.cwd || '/', d), arg0));
}

/**
 * Check now that the program exists and is not a directory, so `create` fails rather than the
 * process after `start`, where nobody hears of it (as runc: `exec: "/etc": permission denied`).
 * A PATH search skips directories, as Go's exec.LookPath does.
 */
export function planExecutableCheck(ctx: PlanContext, proc: Process): void {
  const b = ctx.b;
  const arg0 = proc.args![0];
  const candidates = executableCandidates(proc);
  const found = b.label('executable found');
  const X_OK = 1;
  const st = b.zeroed(STATX.SIZE);
  if (arg0.includes('/')) {
    b.syscall('faccessat', [AT.FDCWD, ctx.str(candidates[0]), X_OK], `exec: "${arg0}": stat ${candidates[0]}`);
    b.syscall('statx', [AT.FDCWD, ctx.str(candidates[0]), 0, STATX.MASK_BASIC, st], `exec: "${arg0}": stat ${candidates[0]}`);
    b.test(st.at(STATX.MODE), 2, S.IFMT, S.IFDIR, { failErrno: ERRNO.EACCES }, `exec: "${arg0}"`);
    return;
  }
  for (const c of candidates) {
    const next = b.label(`after ${c}`);
    const skip = { tolerate: [ERRNO.ENOENT, ERRNO.EACCES, ERRNO.ENOTDIR], onTolerated: next };
    b.syscall('faccessat', [AT.FDCWD, ctx.str(c), X_OK], `look for ${arg0} at ${c}`, skip);
    b.syscall('statx', [AT.FDCWD, ctx.str(c), 0, STATX.MASK_BASIC, st], `look for ${arg0} at ${c}: stat`, skip);
    b.test(st.at(STATX.MODE), 2, S.IFMT, S.IFDIR, { jump: found }, `${c} is not a directory: found`, true);
    b.place(next);
  }
  b.test(b.zeroed(8), 4, 0, 0, { failErrno: ERRNO.ENOENT }, `exec: "${arg0}": executable file not found in $PATH`);
  b.place(found);
}

export function planExec(ctx: PlanContext, proc: Process): void {
  const b = ctx.b;
  const argv = b.pointerArray((proc.args ?? []).map((a) => b.string(a)));
  const envp = b.pointerArray((proc.env ?? []).map((e) => b.string(e)));
  const arg0 = proc.args![0];
  const candidates = executableCandidates(proc);
  candidates.forEach((c, i) => {
    const last = i === candidates.length - 1;
    b.syscall('execve', [ctx.str(c), argv, envp], `exec: "${arg0}": ${c}`, last ? {} : { tolerate: [ERRNO.ENOENT, ERRNO.EACCES, ERRNO.ENOTDIR] });
  });
}

const IOPRIO_CLASS: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
function planIoPriority(ctx: PlanContext, io: LinuxIOPriority): void {
  const IOPRIO_WHO_PROCESS = 1;
  const value = (IOPRIO_CLASS[io.class] << 13) | (io.priority ?? 0);
  ctx.b.syscall('ioprio_set', [IOPRIO_WHO_PROCESS, 0, value], `set I/O priority ${io.class} ${io.priority ?? 0}`);
}

const SCHED_POLICY: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 1, SCHED_FLAG_RECLAIM: 2, SCHED_FLAG_DL_OVERRUN: 4, SCHED_FLAG_KEEP_POLICY: 8,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};
function planScheduler(ctx: PlanContext, s: Scheduler): void {
  // struct sched_attr (size 56: the version without utilization clamps).
  const attr = Buffer.alloc(56);
  attr.writeUInt32LE(56, 0);
  attr.writeUInt32LE(SCHED_POLICY[s.policy], 4);
  attr.writeBigUInt64LE(BigInt((s.flags ?? []).reduce((f, n) => f | (SCHED_FLAGS[n] ?? 0), 0)), 8);
  attr.writeInt32LE(s.nice ?? 0, 16);
  attr.writeUInt32LE(s.priority ?? 0, 20);
  attr.writeBigUInt64LE(BigInt(s.runtime ?? 0), 24);
  attr.writeBigUInt64LE(BigInt(s.deadline ?? 0), 32);
  attr.writeBigUInt64LE(BigInt(s.period ?? 0), 40);
  ctx.b.syscall('sched_setattr', [0, ctx.b.bytes(attr), 0], `set scheduler ${s.policy}`);
}

