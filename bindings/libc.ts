// The libc calls the runtime (parent) process makes, and the executor's spawn, through ocirun's
// Node-API addon (bindings/addon.c, built to build/ocirun.node). Nothing else in ocirun loads it:
// swap the engine here. Each addon call returns its result or -errno.
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { OciError, SystemCallError } from '../lib/errors.js';
import { packageRoot } from '../lib/support/package-root.js';
import { PROGRAM_VERSION, type ProgramPatch } from './program-format.js';

interface Addon {
  programVersion(): number;
  spawn(executorFd: number, src: Int32Array, dst: Int32Array, cloneFlags: number, cgroupFd: number): number;
  cloneIntoCgroupProbe(): number;
  socketpair(): [number, number] | number;
  pipe(): [number, number] | number;
  setChildSubreaper(on: number): number;
  memfdCreate(name: string, flags: number): number;
  seal(fd: number): number;
  mkfifo(path: string, mode: number): number;
  kill(pid: number, signal: number): number;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): number;
  waitid(pid: number, options: number): [number, number, number] | number;
  waitpid(pid: number): number;
  poll(fd: number, timeoutMs: number): number;
  flock(fd: number, operation: number): number;
  strerror(errno: number): string;
  waitExit(pidfd: number): number;
  exit(status: number): never;
  pidfdGetfd(pidfd: number, fd: number): number;
  sendWithFd(socketPath: string, data: Buffer, fd: number): number;
  seccompProbe(operation: number, flags: number, action: number): number;
  connectUnix(path: string): number;
  recvFd(socket: number): number;
  setWinsize(fd: number, rows: number, cols: number): number;
  getWinsize(fd: number): [number, number] | number;
  makeRaw(fd: number): Buffer | number;
  restoreTerminal(fd: number, saved: Buffer): number;
  bpfProgLoad(type: number, insns: Uint8Array, license: string, log: Uint8Array): number;
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): number;
  bpfProgQuery(targetFd: number, attachType: number): number[] | number;
}

// Loaded on first use: `state` and `list` never call libc.
let loaded: { addon: Addon; executor: string } | undefined;

/**
 * The native parts: build/ when there (a build for this machine: a development checkout, or the
 * install script's build from source), else the package's prebuilt ones for this platform.
 */
function native(): { addon: Addon; executor: string } {
  if (loaded) return loaded;
  const root = packageRoot();
  const platform = `${process.platform}-${process.arch}`;
  const problems: string[] = [];
  for (const dir of [join(root, 'build'), join(root, 'prebuilds', platform)]) {
    const file = join(dir, 'ocirun.node');
    const executor = join(dir, 'ocirun-executor');
    const missing = [file, executor].filter((f) => !existsSync(f));
    if (missing.length) {
      problems.push(`${missing.join(' and ')} missing`);
      continue;
    }
    // process.dlopen, not require: no module resolution on the way (~0.5 ms of a CLI call).
    const mod = { exports: {} as Addon };
    try {
      process.dlopen(mod, file);
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const version = mod.exports.programVersion();
    if (version !== PROGRAM_VERSION) {
      problems.push(`${file} speaks program version ${version}, expected ${PROGRAM_VERSION}`);
      continue;
    }
    return (loaded = { addon: mod.exports, executor });
  }
  throw new OciError(
    'ERR_NOT_SUPPORTED',
    `ocirun has no native part that works on ${platform}${libcName()}: ${problems.join('; ')}. ` +
      'Build them from source with `npm rebuild ocirun` (needs a C compiler and the C library headers: gcc and libc6-dev on Debian, build-base on Alpine)',
  );
}

/** ' (glibc 2.36)' or ' (musl)': which C library this Node uses, for the error above. */
function libcName(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? ` (glibc ${header.glibcVersionRuntime})` : ' (not glibc: musl?)';
}

function c(): Addon {
  return native().addon;
}

const MFD_ALLOW_SEALING = 2;

/** A memfd holding `bytes`, sealed: nothing can write, resize or unseal it any more. */
function sealedMemfd(addon: Addon, name: string, bytes: Buffer, patches: readonly ProgramPatch[] = []): number {
  const fd = check(addon.memfdCreate(name, MFD_ALLOW_SEALING), 'memfd_create');
  try {
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, done);
    for (const p of patches) writeSync(fd, p.bytes, 0, p.bytes.length, p.offset);
    check(addon.seal(fd), 'fcntl(F_ADD_SEALS)');
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

let executorFd: number | undefined;

/**
 * The executor as a sealed memfd, made once per process and kept (close-on-exec). Every spawn
 * execs this copy, never the file in the package: a process that the executor becomes inside a
 * container (one that execs /proc/self/exe, say) reaches only this sealed copy through
 * /proc/<pid>/exe, which it can neither write nor truncate (runc's CVE-2019-5736).
 */
function sealedExecutor(): number {
  if (executorFd !== undefined) return executorFd;
  const { addon, executor } = native();
  let bytes: Buffer;
  try {
    bytes = readFileSync(executor);
  } catch (err) {
    throw new OciError('ERR_NOT_SUPPORTED', `cannot read the executor ${executor}: ${(err as Error).message}`);
  }
  return (executorFd = sealedMemfd(addon, 'ocirun-executor', bytes));
}

/** The errno name (ENOENT) and a lower-case message, as Go's syscall package prints them. */
export function describeErrno(errno: number): { code: string; message: string } {
  const code = errnoName(errno);
  const text = c().strerror(errno) || `errno ${errno}`;
  return { code, message: text.charAt(0).toLowerCase() + text.slice(1) };
}

let errnoNames: Map<number, string> | undefined;
export function errnoName(errno: number): string {
  if (!errnoNames) {
    errnoNames = new Map();
    // os.constants.errno maps names to numbers; keep the first name for each number.
    for (const [name, value] of Object.entries(constants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);
  }
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** `r` when the call succeeded; else the SystemCallError its -errno means. */
function check(r: number, syscall: string, path?: string): number {
  if (r >= 0) return r;
  const { code, message } = describeErrno(-r);
  throw new SystemCallError(syscall, -r, code, message, path);
}

// ---- the native executor ----

/** The most fds a spawn can place (MAX_FDS of spawn.h). */
export const SPAWN_MAX_FDS = 1024;
/** The most fds a container or exec'd process can be given beyond 0-2 (the rest is the runtime's). */
export const MAX_EXTRA_FDS = 1000;

/** How the executor gets its fds: `keep` keep their numbers, `moves` [src, dst] are renumbered. */
export interface ExecutorFds {
  /** Where the program's memfd lands in the executor (the fd its argv names). */
  programFd: number;
  /** The fds of this process that become the executor's 0, 1 and 2 (default: 0, 1, 2). */
  stdio?: readonly [number, number, number];
  keep?: readonly number[];
  moves?: readonly (readonly [number, number])[];
}

/**
 * Start the executor on `program` (bytes from ProgramBuilder.encode); returns its pid. The program
 * travels in a memfd. Node opens everything close-on-exec, so only the fds listed in `fds` (and
 * 0-2) reach the executor, at the numbers the program was planned with. The executor is exec'd
 * from a vfork-style child, so Node's memory is neither copied nor run in the child (DESIGN.md,
 * fact 1). `cloneFlags` (CLONE_NEW*): the executor starts in new namespaces. `patches` are
 * written over the program in the memfd (the program's own bytes are left as they are). The
 * executor runs from a sealed copy in memory (sealedExecutor). `cgroupFd`: an fd on a cgroup v2
 * directory the executor starts in (clone3 CLONE_INTO_CGROUP; see cloneIntoCgroupWorks).
 */
export function spawnProgram(program: Buffer, fds: ExecutorFds, cloneFlags = 0, patches: readonly ProgramPatch[] = [], cgroupFd = -1): number {
  const { addon } = native();
  const executor = sealedExecutor();
  // Sealed too: nothing that later shares the executor's fds can change the program it reads.
  const fd = sealedMemfd(addon, 'ocirun-program', program, patches);
  try {
    const src = [fd, ...(fds.stdio ?? [0, 1, 2])];
    const dst = [fds.programFd, 0, 1, 2];
    for (const k of fds.keep ?? []) if (!dst.includes(k)) src.push(k), dst.push(k);
    for (const [from, to] of fds.moves ?? []) src.push(from), dst.push(to);
    if (src.length > SPAWN_MAX_FDS) throw new OciError('ERR_INVALID_ARGUMENT', `too many fds for the container process: ${src.length}, at most ${SPAWN_MAX_FDS}`);
    return check(addon.spawn(executor, Int32Array.from(src), Int32Array.from(dst), cloneFlags, cgroupFd), cgroupFd >= 0 ? 'clone3(CLONE_INTO_CGROUP)' : 'clone');
  } finally {
    closeSync(fd);
  }
}

/**
 * Can a spawn start the executor in a cgroup (Linux 5.7's clone3 CLONE_INTO_CGROUP, not refused by
 * a seccomp filter this process runs under)? Asked once, without starting a process.
 */
export function cloneIntoCgroupWorks(): boolean {
  return native().addon.cloneIntoCgroupProbe() === 0;
}

// ---- parent-side calls ----

/** A connected pair of unix stream sockets, both close-on-exec. */
export function socketPair(): [number, number] {
  const r = c().socketpair();
  if (typeof r === 'number') check(r, 'socketpair');
  return r as [number, number];
}

/** A pipe, [read end, write end], both close-on-exec. */
export function pipe(): [number, number] {
  const r = c().pipe();
  if (typeof r === 'number') check(r, 'pipe2');
  return r as [number, number];
}

/** prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants become this process's children. */
export function setChildSubreaper(on: boolean): void {
  check(c().setChildSubreaper(on ? 1 : 0), 'prctl(PR_SET_CHILD_SUBREAPER)');
}

/** An anonymous memory file, close-on-exec. */
export function memfdCreate(name: string): number {
  return check(c().memfdCreate(name, 0), 'memfd_create');
}

/** A copy of fd `fd` of the process of `pidfd` (pidfd_getfd(2)). */
export function pidfdGetfd(pidfd: number, fd: number): number {
  return check(c().pidfdGetfd(pidfd, fd), 'pidfd_getfd');
}

/** Connect to the unix stream socket at `path`, send `data` with `fd` (SCM_RIGHTS), close. */
export function sendWithFd(path: string, data: Buffer, fd: number): void {
  check(c().sendWithFd(path, data, fd), 'connect/sendmsg', path);
}

/** seccomp(2) asked about support (see addon.c seccomp_probe): the result, or -errno. */
export function seccompProbe(operation: number, flags: number, action: number): number {
  return c().seccompProbe(operation, flags, action | 0);
}

export function mkfifo(path: string, mode: number): void {
  check(c().mkfifo(path, mode), 'mkfifo', path);
}

export function pidfdOpen(pid: number): number {
  return check(c().pidfdOpen(pid), 'pidfd_open', String(pid));
}

/** Signal through a pidfd: the signal can only reach the process the pidfd was opened for. */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  check(c().pidfdSendSignal(pidfd, signal), 'pidfd_send_signal');
}

export function kill(pid: number, signal: number): void {
  check(c().kill(pid, signal), 'kill', String(pid));
}

export interface ExitStatus {
  pid: number;
  /** Exit code, or 128 + signal when killed by a signal (as a shell reports it). */
  code: number;
  signal?: number;
}

const WEXITED = 4;
const WNOHANG = 1;
const WNOWAIT = 0x01000000;
const CLD_EXITED = 1;

/** Reap `pid` if it has exited; undefined while it runs. Never blocks. */
export function tryReap(pid: number, options: { keep?: boolean } = {}): ExitStatus | undefined {
  const r = c().waitid(pid, WEXITED | WNOHANG | (options.keep ? WNOWAIT : 0));
  if (typeof r === 'number') check(r, 'waitid', String(pid));
  const [childPid, codeKind, status] = r as [number, number, number];
  if (childPid === 0) return undefined;
  return codeKind === CLD_EXITED ? { pid: childPid, code: status } : { pid: childPid, code: 128 + status, signal: status };
}

/** Blocking wait, for children known to exit at once (an intermediate process that forked). */
export function reapBlocking(pid: number): number {
  return check(c().waitpid(pid), 'waitpid', String(pid));
}

const EINTR = 4;

/**
 * Block until `fd` is readable or hung up (true), or `timeoutMs` passes (false; -1: no limit).
 * For a process that has nothing else to do meanwhile (the CLI); a signal ends the wait early
 * (Node runs its handler once the event loop turns again), and the wait goes on.
 */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  for (;;) {
    const r = c().poll(fd, timeoutMs);
    if (r > 0) return true;
    if (r === 0) return false;
    if (r !== -EINTR) check(r, 'poll');
  }
}

/**
 * Sleeps until the process of `pidfd` exits (true) or Node's event loop has work (false): a
 * signal arrived, say, whose listener runs once the caller yields to the loop.
 */
export function waitExitOrEvents(pidfd: number): boolean {
  return check(c().waitExit(pidfd), 'poll') === 1;
}

// ---- terminals ----

/** A unix stream socket connected to `path` (close-on-exec): where a terminal's master is sent. */
export function connectUnix(path: string): number {
  return check(c().connectUnix(path), 'connect', path);
}

/** The one fd of a message already waiting on `socket` (SCM_RIGHTS), close-on-exec. */
export function recvFd(socket: number): number {
  return check(c().recvFd(socket), 'recvmsg');
}

/** TIOCSWINSZ: the size of a terminal, in character cells. */
export function setWinsize(fd: number, rows: number, cols: number): void {
  check(c().setWinsize(fd, rows, cols), 'ioctl(TIOCSWINSZ)');
}

/** TIOCGWINSZ: the size of a terminal, in character cells. */
export function getWinsize(fd: number): { rows: number; cols: number } {
  const r = c().getWinsize(fd);
  if (typeof r === 'number') check(r, 'ioctl(TIOCGWINSZ)');
  const [rows, cols] = r as [number, number];
  return { rows, cols };
}

/** Put a terminal in raw mode (cfmakeraw); returns its settings before, for restoreTerminal. */
export function makeRaw(fd: number): Buffer {
  const r = c().makeRaw(fd);
  if (typeof r === 'number') check(r, 'tcsetattr');
  return r as Buffer;
}

export function restoreTerminal(fd: number, saved: Buffer): void {
  check(c().restoreTerminal(fd, saved), 'tcsetattr');
}

export function flock(fd: number, operation: number): void {
  check(c().flock(fd, operation), 'flock');
}
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/**
 * _exit(2), which ends the process at once: no 'exit' event, no Node teardown (lib/cli/exit.ts).
 * Undefined when the addon is not built.
 */
export function processExit(): ((status: number) => never) | undefined {
  try {
    return c().exit;
  } catch {
    return undefined;
  }
}

// ---- bpf(2) ----

/**
 * Load an eBPF program (instructions from bindings/bpf.ts); returns its fd. A verifier refusal
 * throws with the verifier's log in the message.
 */
export function bpfProgLoad(type: number, insns: Uint8Array, license: string): number {
  const r = c().bpfProgLoad(type, insns, license, new Uint8Array(0));
  if (r >= 0) return r;
  const log = new Uint8Array(16384);
  c().bpfProgLoad(type, insns, license, log);
  const end = log.indexOf(0);
  const text = Buffer.from(log.subarray(0, end < 0 ? log.length : end)).toString().trim();
  return check(r, text ? `bpf(BPF_PROG_LOAD) (verifier: ${text.split('\n').slice(-3).join('; ')})` : 'bpf(BPF_PROG_LOAD)');
}

export function bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void {
  check(c().bpfProgAttach(targetFd, progFd, attachType, flags), 'bpf(BPF_PROG_ATTACH)');
}

/** The ids of the programs attached to a cgroup fd for `attachType`. */
export function bpfProgQuery(targetFd: number, attachType: number): number[] {
  const r = c().bpfProgQuery(targetFd, attachType);
  if (typeof r === 'number') check(r, 'bpf(BPF_PROG_QUERY)');
  return r as number[];
}
