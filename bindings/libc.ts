// koffi declarations of the libc functions the runtime (parent) process calls, and the native
// executor's entry points. Nothing else in ocirun calls koffi: swap the FFI engine here.
import { closeSync, existsSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { OciError, SystemCallError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { loadKoffi } from './koffi.js';
import { PROGRAM_VERSION } from './program.js';
import { syscallTable } from './syscalls.js';

// koffi and the declarations are made on first use: `state` and `list` never call libc, and
// loading koffi's native module costs ~5 ms of a CLI call.
let ffi: ReturnType<typeof loadKoffi> | undefined;
let declared: ReturnType<typeof declare> | undefined;

function koffi(): ReturnType<typeof loadKoffi> {
  return (ffi ??= loadKoffi());
}

function declare() {
  const libc = koffi().load('libc.so.6');
  return {
    strerror: libc.func('const char *strerror(int errnum)'),
    malloc: libc.func('void *malloc(size_t size)'),
    socketpair: libc.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    mkfifo: libc.func('int mkfifo(const char *path, uint32_t mode)'),
    kill: libc.func('int kill(int pid, int sig)'),
    waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)'),
    waitid: libc.func('int waitid(int idtype, uint32_t id, _Out_ uint8_t *infop, int options)'),
    flock: libc.func('int flock(int fd, int operation)'),
    syscall3: libc.func('syscall', 'long', ['long', 'long', 'long', 'long']),
    syscall4: libc.func('syscall', 'long', ['long', 'long', 'long', 'void *', 'long']),
    memfd_create: libc.func('int memfd_create(const char *name, unsigned int flags)'),
    poll: libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
  };
}

function c(): ReturnType<typeof declare> {
  return (declared ??= declare());
}

const nr = syscallTable();
const MFD_CLOEXEC = 1;

/** The errno name (ENOENT) and a lower-case message, as Go's syscall package prints them. */
export function describeErrno(errno: number): { code: string; message: string } {
  const code = errnoName(errno);
  const text = String(c().strerror(errno) ?? `errno ${errno}`);
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

function fail(syscall: string, path?: string): never {
  const errno = koffi().errno();
  const { code, message } = describeErrno(errno);
  throw new SystemCallError(syscall, errno, code, message, path);
}

// ---- the native executor ----

let executor: { path: string; spawn: (...args: unknown[]) => number | bigint; stack: unknown } | undefined;
const STACK_SIZE = 64 * 1024;

function loadExecutor() {
  if (executor) return executor;
  const build = join(packageRoot(), 'build');
  const lib = join(build, 'libocirun-executor.so');
  const path = join(build, 'ocirun-executor');
  for (const f of [lib, path]) {
    if (!existsSync(f)) throw new OciError('ERR_NOT_SUPPORTED', `the native executor ${f} is missing; run \`npm run build\` (needs gcc and libc6-dev)`);
  }
  const so = koffi().load(lib);
  const version = so.func('uint32_t ocirun_program_version()')();
  if (version !== PROGRAM_VERSION) {
    throw new OciError('ERR_NOT_SUPPORTED', `${lib} speaks program version ${version}, expected ${PROGRAM_VERSION}; rebuild with \`npm run build\``);
  }
  const stack = c().malloc(STACK_SIZE);
  if (!stack) throw new SystemCallError('malloc', 12, 'ENOMEM', 'cannot allocate memory');
  executor = {
    path,
    spawn: so.func('long ocirun_spawn(const char *executor, const int *src, const int *dst, int n, int clone_flags, void *stack, uint64_t stack_size)'),
    stack,
  };
  return executor;
}

/** How the executor gets its fds: `keep` keep their numbers, `moves` [src, dst] are renumbered. */
export interface ExecutorFds {
  /** Where the program's memfd lands in the executor (the fd its argv names). */
  programFd: number;
  keep?: readonly number[];
  moves?: readonly (readonly [number, number])[];
}

/**
 * Start the executor on `program` (bytes from ProgramBuilder.encode); returns its pid. The program
 * travels in a memfd. Node opens everything close-on-exec, so only the fds listed in `fds` (and
 * 0-2) reach the executor, at the numbers the program was planned with. The executor is exec'd
 * from a vfork-style child, so Node's memory is neither copied nor run in the child (DESIGN.md,
 * fact 1). `cloneFlags` (CLONE_NEW*): the executor starts in new namespaces.
 */
export function spawnProgram(program: Buffer, fds: ExecutorFds, cloneFlags = 0): number {
  const exe = loadExecutor();
  const fd = Number(c().memfd_create('ocirun-program', MFD_CLOEXEC));
  if (fd < 0) fail('memfd_create');
  try {
    writeSync(fd, program);
    const src = [fd, 0, 1, 2];
    const dst = [fds.programFd, 0, 1, 2];
    for (const k of fds.keep ?? []) if (!dst.includes(k)) src.push(k), dst.push(k);
    for (const [from, to] of fds.moves ?? []) src.push(from), dst.push(to);
    const r = Number(exe.spawn(exe.path, src, dst, src.length, cloneFlags, exe.stack, STACK_SIZE));
    if (r < 0) {
      const { code, message } = describeErrno(-r);
      throw new SystemCallError('clone', -r, code, message);
    }
    return r;
  } finally {
    closeSync(fd);
  }
}

// ---- parent-side calls ----

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;

/** A connected pair of unix stream sockets, both close-on-exec. */
export function socketPair(): [number, number] {
  const sv = [0, 0];
  if (c().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) !== 0) fail('socketpair');
  return [sv[0], sv[1]];
}

export function mkfifo(path: string, mode: number): void {
  if (c().mkfifo(path, mode) !== 0) fail('mkfifo', path);
}

export function pidfdOpen(pid: number): number {
  const fd = Number(c().syscall3(nr.pidfd_open, pid, 0, 0));
  if (fd < 0) fail('pidfd_open', String(pid));
  return fd;
}

/** Signal through a pidfd: the signal can only reach the process the pidfd was opened for. */
export function pidfdSendSignal(pidfd: number, signal: number): void {
  if (Number(c().syscall4(nr.pidfd_send_signal, pidfd, signal, null, 0)) !== 0) fail('pidfd_send_signal');
}

export function kill(pid: number, signal: number): void {
  if (c().kill(pid, signal) !== 0) fail('kill', String(pid));
}

export interface ExitStatus {
  pid: number;
  /** Exit code, or 128 + signal when killed by a signal (as a shell reports it). */
  code: number;
  signal?: number;
}

const P_PID = 1;
const WEXITED = 4;
const WNOHANG = 1;
const WNOWAIT = 0x01000000;
const CLD_EXITED = 1;

/** Reap `pid` if it has exited; undefined while it runs. Never blocks. */
export function tryReap(pid: number, options: { keep?: boolean } = {}): ExitStatus | undefined {
  const info = new Uint8Array(128);
  const r = c().waitid(P_PID, pid, info, WEXITED | WNOHANG | (options.keep ? WNOWAIT : 0));
  if (r !== 0) fail('waitid', String(pid));
  const view = Buffer.from(info.buffer);
  const childPid = view.readInt32LE(16);
  if (childPid === 0) return undefined;
  const codeKind = view.readInt32LE(8);
  const status = view.readInt32LE(24);
  return codeKind === CLD_EXITED ? { pid: childPid, code: status } : { pid: childPid, code: 128 + status, signal: status };
}

/** Blocking wait, for children known to exit at once (an intermediate process that forked). */
export function reapBlocking(pid: number): number {
  const status = [0];
  for (;;) {
    const r = c().waitpid(pid, status, 0);
    if (r === pid) return status[0];
    if (koffi().errno() !== 4 /* EINTR */) fail('waitpid', String(pid));
  }
}

const POLLIN = 0x1;
const EINTR = 4;

/**
 * Block until `fd` is readable or hung up (true), or `timeoutMs` passes (false; -1: no limit).
 * For a process that has nothing else to do meanwhile (the CLI); a signal ends the wait early
 * (Node runs its handler once the event loop turns again), and the wait goes on.
 */
export function waitReadable(fd: number, timeoutMs: number): boolean {
  const pfd = new Uint8Array(8);
  const view = new DataView(pfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLIN, true);
  for (;;) {
    const r = c().poll(pfd, 1, timeoutMs);
    if (r > 0) return true;
    if (r === 0) return false;
    if (koffi().errno() !== EINTR) fail('poll');
  }
}

export function flock(fd: number, operation: number): void {
  if (c().flock(fd, operation) !== 0) fail('flock');
}
export const LOCK_EX = 2;
export const LOCK_UN = 8;
