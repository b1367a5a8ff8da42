// Launching the executor (create and exec alike): open the files it is given, spawn it with its
// program, and run the runtime's side of the sync protocol (lib/protocol/messages.ts) until the
// container process is created (create) or has exec'd (exec).
import { closeSync, openSync } from 'node:fs';
import { reapBlocking, socketPair, spawnProgram, tryReap } from '../../bindings/libc.js';
import type { ProgramPatch } from '../../bindings/program-format.js';
import { OciError, SystemCallError } from '../errors.js';
import type { NamespacePhase } from '../plan/namespaces.js';
import type { ChildFds } from '../protocol/child-fds.js';
import { initError, openInitChannel, type InitChannel } from '../protocol/init-channel.js';
import { SYNC_CREATED, SYNC_GO, SYNC_HOOKS, SYNC_READY, SYNC_SECCOMP } from '../protocol/messages.js';
import { sendListener, type Listener } from '../seccomp/agent.js';
import type { Spec, State } from '../spec/index.js';
import { eventLoopTurn, killAndReap, watchExit } from './exit-watcher.js';
import type { Operation } from './operation.js';
import { parentStep } from './parent-step.js';

/**
 * The processes of one spawn: the executor (our child) and the container process. They are one
 * process when the executor is spawned into the new namespaces; otherwise the executor joins
 * namespaces, forks the container process, reports its pid and exits.
 */
interface Children {
  executor: () => number;
  /** The executor is reaped (it exits after its PID message): its pid is no longer ours. */
  executorReaped: boolean;
  /** The executor itself, or known from its PID message; 0 until then. */
  container: number;
}

/** How clone3 says CLONE_INTO_CGROUP's cgroup cannot take the process (EBADF would be ours, not the cgroup's). */
const CGROUP_REFUSALS = new Set(['ENOENT', 'ENODEV', 'EBUSY', 'EOPNOTSUPP', 'EACCES']);

/** A file the executor gets open at fd `to`; `error` words a failure to open it. */
export interface ChildFile {
  path: string;
  flags: number;
  to: number;
  error?: (err: Error) => Error;
  /** A cgroup v2 directory the executor is started in (it is also moved to `to`). */
  spawnInto?: boolean;
}

/** What the executor starts with: its program and the fds it expects (lib/protocol/child-fds.ts). */
export interface Launch {
  program: Buffer;
  patches?: readonly ProgramPatch[];
  plan: { namespaces: NamespacePhase; descriptions(): Promise<readonly string[]> };
  fds: ChildFds;
  /** Our fds that become the container's 0, 1, 2 (lib/lifecycle/stdio.ts). */
  stdio: readonly [number, number, number];
  /** Our fds that become the container's 3, 4, ... (as many as the program was planned for). */
  extra: readonly number[];
  /** Runs right after the spawn: the container's ends of its stdio are closed here. */
  spawned?: () => void;
  open: ChildFile[];
  /** The console socket (process.terminal), moved to fds.console; the caller keeps and closes it. */
  consoleFd?: number;
  /** Runs once the files are open, before the spawn. */
  check?: () => void;
  /**
   * Runs as soon as the container process's pid is known: right after the spawn when the
   * executor is the container process (work done here overlaps with its), else at its PID
   * message, before the runtime answers anything that lets it go on.
   */
  whileSettingUp?: (pid: number) => void;
}

/**
 * Spawn the executor and run the sync protocol with it (create and exec alike); returns the
 * container process's pid once it is created or has exec'd. On any failure nothing is left: every
 * fd is closed, and the executor and the container process are killed and reaped.
 */
/** What the sync protocol needs to know of the container. */
export interface LaunchContext {
  spec?: Spec;
  /** The seccomp agent, when the filter notifies (lib/seccomp/agent.ts). */
  listener?: Listener;
  /** The container's state to send the agent. */
  state?: (pid: number) => State;
  /** The create-phase hooks, run while the container process waits before pivot_root. */
  createHooks?: (pid: number) => Promise<void>;
}

export async function launch(l: Launch, blocking: boolean, ctx: LaunchContext, verb: 'create' | 'exec', op?: Operation): Promise<number> {
  const opened: number[] = [];
  const moves: [number, number][] = l.extra.map((fd, i) => [fd, 3 + i]);
  let channel: InitChannel | undefined;
  let childPid = 0;
  const children: Children = { executor: () => childPid, executorReaped: false, container: 0 };
  // Cancelled: kill what was spawned; the handshake then sees end of file and fails.
  const cancel = () => {
    for (const pid of [children.executorReaped ? 0 : childPid, children.container]) {
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  };
  op?.signal?.addEventListener('abort', cancel, { once: true });
  let cgroupFd = -1;
  let cgroupDir = '';
  try {
    op?.check();
    for (const f of l.open) {
      let fd: number;
      try {
        fd = openSync(f.path, f.flags);
      } catch (err) {
        throw f.error ? f.error(err as Error) : err;
      }
      opened.push(fd);
      moves.push([fd, f.to]);
      if (f.spawnInto) {
        cgroupFd = fd;
        cgroupDir = f.path;
      }
    }
    l.check?.();
    const [parentFd, childFd] = socketPair();
    opened.push(parentFd, childFd);
    moves.push([childFd, l.fds.sync]);
    if (l.consoleFd !== undefined) moves.push([l.consoleFd, l.fds.console]);
    const { namespaces } = l.plan;
    // Nothing joined by path: the executor starts in the new namespaces (NamespacePhase.spawnClones).
    try {
      childPid = spawnProgram(l.program, { programFd: l.fds.program, stdio: l.stdio, moves }, namespaces.spawnClones ? namespaces.cloneFlags : 0, l.patches, cgroupFd);
    } catch (err) {
      // What the cgroup refuses (gone, threaded, not ours to enter); any other error is the clone's own.
      if (cgroupFd < 0 || !(err instanceof SystemCallError) || !CGROUP_REFUSALS.has(err.errnoCode)) throw err;
      throw new OciError('ERR_CGROUP', `${verb}: cannot start the container process in its cgroup ${cgroupDir}: ${err.message}`);
    }
    if (namespaces.spawnClones) children.container = childPid;
    l.spawned?.();
    // Made after the spawn, so making it overlaps with the executor's work; it owns parentFd.
    opened.splice(opened.indexOf(parentFd), 1);
    try {
      channel = openInitChannel(parentFd, blocking);
    } catch (err) {
      closeSync(parentFd);
      throw err;
    }
    closeAll(opened);
    if (children.container > 0) l.whileSettingUp?.(children.container);
    // The loop's first turn, due before any blocking wait for an exit (exit-watcher.ts), taken
    // while the executor works.
    if (blocking) await eventLoopTurn();
    await handshake(channel, l.plan, children, ctx, verb, blocking, l.whileSettingUp);
    op?.check();
    return children.container;
  } catch (err) {
    closeAll(opened);
    // Our own children cannot be recycled before we reap them, so signalling their pids is safe.
    if (childPid > 0 && !children.executorReaped) await killAndReap(childPid, blocking);
    if (children.container > 0 && children.container !== childPid) await killAndReap(children.container, blocking);
    if (op?.signal?.aborted) throw op.error();
    throw err;
  } finally {
    op?.signal?.removeEventListener('abort', cancel);
    channel?.close();
  }
}

/**
 * The runtime side of the protocol in lib/protocol/messages.ts. Fills in `children.container` and
 * returns once the process is created (create) or has exec'd (exec).
 */
async function handshake(
  channel: InitChannel,
  plan: { namespaces: NamespacePhase; descriptions(): Promise<readonly string[]> },
  children: Children,
  ctx: LaunchContext,
  verb: string,
  blocking: boolean,
  pidKnown?: (pid: number) => void,
): Promise<void> {
  let readyWaiting = false;
  let listenerWaiting = -1;
  let hooksWaiting = false;
  let created = false;
  const answerReady = () => {
    parentStep(children.container, plan.namespaces, ctx.spec);
    channel.send(SYNC_GO);
  };
  const answerSeccomp = (fd: number) => {
    const pid = children.container;
    if (!ctx.listener || !ctx.state) throw new OciError('ERR_CONTAINER_INIT', `${verb}: the container process sent a seccomp listener the plan did not ask for`);
    sendListener(ctx.listener, pid, fd, ctx.state(pid));
    channel.send(SYNC_GO);
  };
  const answerHooks = async () => {
    if (!ctx.createHooks) throw new OciError('ERR_CONTAINER_INIT', `${verb}: the container process stopped for hooks the plan did not ask for`);
    await ctx.createHooks(children.container);
    channel.send(SYNC_GO);
  };
  // An error from a forked process can overtake the executor's PID message: the process is
  // ours (CLONE_PARENT) and must be known to be reaped (a zombie in a pid namespace keeps that
  // namespace's init from dying), so the error waits for the PID.
  let failed: Error | undefined;
  for (;;) {
    const m = await channel.next();
    if (m.kind === 'error') {
      failed = initError(await plan.descriptions(), m.op, m.errno, verb === 'exec' ? '' : `${verb}: `);
      if (plan.namespaces.spawnClones || children.container > 0) throw failed;
      continue;
    }
    if (failed && m.kind === 'eof') throw failed;
    if (m.kind === 'eof') {
      // End of file: the process exec'd (exec has no CREATED step) or died without a word.
      if (verb === 'exec' && children.container > 0 && !readyWaiting) return;
      const who = children.container || children.executor();
      throw new OciError('ERR_CONTAINER_INIT', `${verb}: the container process exited before it was set up${describeDeath(who)}`);
    }
    if (m.kind === 'pid') {
      children.container = m.pid;
      // The executor exits right after this message: reaped at once (blocking), or in the
      // background (the event loop); its pid is not ours to signal from now on.
      if (blocking) reapBlocking(children.executor());
      else void watchExit(children.executor(), { ref: false }).exited.catch(() => {});
      children.executorReaped = true;
      if (failed) throw failed;
      pidKnown?.(m.pid);
      // READY and CREATED come from the container process, PID from the executor: PID can
      // arrive after either.
      if (readyWaiting) {
        readyWaiting = false;
        answerReady();
      }
      if (listenerWaiting >= 0) {
        answerSeccomp(listenerWaiting);
        listenerWaiting = -1;
      }
      if (hooksWaiting) {
        hooksWaiting = false;
        await answerHooks();
      }
      if (created) return;
      continue;
    }
    if (m.tag === SYNC_READY) {
      if (children.container > 0) answerReady();
      else readyWaiting = true;
      continue;
    }
    if (m.tag === SYNC_HOOKS) {
      if (children.container > 0) await answerHooks();
      else hooksWaiting = true;
      continue;
    }
    if (m.tag === SYNC_SECCOMP) {
      if (children.container > 0) answerSeccomp(m.value);
      else listenerWaiting = m.value;
      continue;
    }
    if (m.tag === SYNC_CREATED) {
      if (children.container > 0) return;
      created = true;
    }
  }
}

/** Why a child went away without a word (a crash shows as a signal). */
function describeDeath(pid: number): string {
  try {
    const st = tryReap(pid, { keep: true });
    if (!st) return '';
    return st.signal !== undefined ? ` (killed by signal ${st.signal})` : ` (exit status ${st.code})`;
  } catch {
    return '';
  }
}

function closeAll(fds: number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
  fds.length = 0;
}
