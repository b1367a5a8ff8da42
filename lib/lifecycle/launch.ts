// Launching the executor (create and exec alike): open the files it is given, spawn it with its
// program, and run the runtime's side of the sync protocol (lib/protocol/messages.ts) until the
// container process is created (create) or has exec'd (exec).
import { closeSync, openSync } from 'node:fs';
import { reapBlocking, socketPair, spawnProgram, tryReap } from '../../bindings/libc.js';
import type { ProgramPatch } from '../../bindings/program-format.js';
import { OciError } from '../errors.js';
import type { NamespacePhase } from '../plan/namespaces.js';
import type { ChildFds } from '../protocol/child-fds.js';
import { initError, openInitChannel, type InitChannel } from '../protocol/init-channel.js';
import { SYNC_CREATED, SYNC_GO, SYNC_READY } from '../protocol/messages.js';
import type { Spec } from '../spec/index.js';
import { eventLoopTurn, reapQuietly } from './exit-watcher.js';
import { parentStep } from './parent-step.js';

/**
 * The processes of one spawn: the executor (our child) and the container process. They are one
 * process when the executor is spawned into the new namespaces; otherwise the executor joins
 * namespaces, forks the container process, reports its pid and exits.
 */
interface Children {
  executor: () => number;
  /** The executor itself, or known from its PID message; 0 until then. */
  container: number;
}

/** A file the executor gets open at fd `to`; `error` words a failure to open it. */
export interface ChildFile {
  path: string;
  flags: number;
  to: number;
  error?: (err: Error) => Error;
}

/** What the executor starts with: its program and the fds it expects (lib/protocol/child-fds.ts). */
export interface Launch {
  program: Buffer;
  patches?: readonly ProgramPatch[];
  plan: { namespaces: NamespacePhase; descriptions(): Promise<readonly string[]> };
  fds: ChildFds;
  preserveFds: number;
  open: ChildFile[];
  /** Runs once the files are open, before the spawn. */
  check?: () => void;
  /**
   * Runs right after the spawn when the executor is the container process (its pid known at
   * once), while it sets the container up: work done here overlaps with the executor's.
   */
  whileSettingUp?: (pid: number) => void;
}

/**
 * Spawn the executor and run the sync protocol with it (create and exec alike); returns the
 * container process's pid once it is created or has exec'd. On any failure nothing is left: every
 * fd is closed, and the executor and the container process are killed and reaped.
 */
export async function launch(l: Launch, blocking: boolean, ctx: { spec?: Spec }, verb: 'create' | 'exec'): Promise<number> {
  const opened: number[] = [];
  const moves: [number, number][] = [];
  let channel: InitChannel | undefined;
  let childPid = 0;
  const children: Children = { executor: () => childPid, container: 0 };
  try {
    for (const f of l.open) {
      let fd: number;
      try {
        fd = openSync(f.path, f.flags);
      } catch (err) {
        throw f.error ? f.error(err as Error) : err;
      }
      opened.push(fd);
      moves.push([fd, f.to]);
    }
    l.check?.();
    const [parentFd, childFd] = socketPair();
    opened.push(parentFd, childFd);
    moves.push([childFd, l.fds.sync]);
    const { namespaces } = l.plan;
    // Nothing joined by path: the executor starts in the new namespaces (NamespacePhase.spawnClones).
    childPid = spawnProgram(l.program, { programFd: l.fds.program, keep: preserved(l.preserveFds), moves }, namespaces.spawnClones ? namespaces.cloneFlags : 0, l.patches);
    if (namespaces.spawnClones) children.container = childPid;
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
    await handshake(channel, l.plan, children, ctx, verb);
    return children.container;
  } catch (err) {
    closeAll(opened);
    // Our own children cannot be recycled before we reap them, so signalling their pids is safe.
    if (childPid > 0) reapQuietly(childPid);
    if (children.container > 0 && children.container !== childPid) reapQuietly(children.container);
    throw err;
  } finally {
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
  ctx: { spec?: Spec },
  verb: string,
): Promise<void> {
  let readyWaiting = false;
  let created = false;
  const answerReady = () => {
    parentStep(children.container, plan.namespaces, ctx.spec);
    channel.send(SYNC_GO);
  };
  for (;;) {
    const m = await channel.next();
    if (m.kind === 'error') throw initError(await plan.descriptions(), m.op, m.errno, verb === 'exec' ? '' : `${verb}: `);
    if (m.kind === 'eof') {
      // End of file: the process exec'd (exec has no CREATED step) or died without a word.
      if (verb === 'exec' && children.container > 0 && !readyWaiting) return;
      const who = children.container || children.executor();
      throw new OciError('ERR_CONTAINER_INIT', `${verb}: the container process exited before it was set up${describeDeath(who)}`);
    }
    if (m.kind === 'pid') {
      children.container = m.pid;
      reapBlocking(children.executor()); // the executor exits right after this message
      // READY and CREATED come from the container process, PID from the executor: PID can
      // arrive after either.
      if (readyWaiting) {
        readyWaiting = false;
        answerReady();
      }
      if (created) return;
      continue;
    }
    if (m.tag === SYNC_READY) {
      if (children.container > 0) answerReady();
      else readyWaiting = true;
      continue;
    }
    if (m.tag === SYNC_CREATED) {
      if (children.container > 0) return;
      created = true;
    }
  }
}

/** The fds --preserve-fds passes on: 3 .. 3+n-1. */
function preserved(n: number | undefined): number[] {
  return Array.from({ length: n ?? 0 }, (_, i) => 3 + i);
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
