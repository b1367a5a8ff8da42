// Waiting for container processes without blocking the event loop or a thread-pool thread:
// SIGCHLD wakes us, then waitid(WNOHANG) on each watched pid reaps exactly the processes we
// watch (libuv reaps only its own children, by pid, so the two never steal from each other).
// A slow timer covers a lost signal; it keeps the process alive while someone awaits an exit, not
// while the runtime only reaps its containers in the background.
// The SIGCHLD listener stays once added (it keeps nothing alive): adding and removing it around
// every wait cost ~0.1 ms per container.
import { closeSync } from 'node:fs';
import { kill as killPid, pidfdOpen, reapBlocking, tryReap, waitExitOrEvents, type ExitStatus } from '../../bindings/libc.js';

interface Waiter {
  resolve: (s: ExitStatus) => void;
  reject: (e: unknown) => void;
  /** Keeps the process alive while it waits (a caller awaits it); a background reap does not. */
  ref: boolean;
}

const watched = new Map<number, Waiter[]>();
let timer: NodeJS.Timeout | undefined;
let listening = false;

function check(): void {
  for (const pid of watched.keys()) reap(pid);
  update();
}

function reap(pid: number): void {
  const waiters = watched.get(pid);
  if (!waiters) return;
  let status: ExitStatus | undefined;
  try {
    status = tryReap(pid);
  } catch (err) {
    watched.delete(pid);
    for (const w of waiters) w.reject(err);
    return;
  }
  if (status) {
    watched.delete(pid);
    for (const w of waiters) w.resolve(status);
  }
}

/**
 * Reap a watched `pid` now if it has exited, without waiting for SIGCHLD's turn in the event loop:
 * its watches are `done` on return. A status asked of our own child costs a waitid(2), not a read
 * of /proc.
 */
export function reapIfExited(pid: number): void {
  if (!watched.has(pid)) return;
  reap(pid);
  update();
}

/** The timer runs while anything is watched, and holds the process open while a waiter is ref'd. */
function update(): void {
  if (watched.size === 0) {
    if (timer) clearInterval(timer);
    timer = undefined;
    return;
  }
  if (!listening) {
    process.on('SIGCHLD', check);
    listening = true;
  }
  timer ??= setInterval(check, 200);
  let ref = false;
  for (const waiters of watched.values()) if (waiters.some((w) => w.ref)) ref = true;
  if (ref) timer.ref();
  else timer.unref();
}

export interface ExitWatch {
  /** Resolves when the process exits (it is reaped then). */
  readonly exited: Promise<ExitStatus>;
  /** Reaped (or failed) already: set at once, before `exited`'s callbacks run. Its pid is no longer ours. */
  readonly done: boolean;
  /** Hold the process open until the exit (someone awaits it). */
  ref(): void;
  unref(): void;
}

/**
 * Watch `pid` (a child of this process, or an orphan re-parented to it) and reap it when it exits.
 * `ref: false`: a background reap, which does not keep the process alive.
 */
export function watchExit(pid: number, options: { ref?: boolean } = {}): ExitWatch {
  const waiter = { ref: options.ref ?? true } as Waiter;
  let done = false;
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    waiter.resolve = (s) => {
      done = true;
      resolve(s);
    };
    waiter.reject = (e) => {
      done = true;
      reject(e);
    };
  });
  const list = watched.get(pid) ?? [];
  list.push(waiter);
  watched.set(pid, list);
  update();
  // It may have exited before we started listening.
  queueMicrotask(check);
  const set = (ref: boolean) => {
    waiter.ref = ref;
    if (watched.get(pid)?.includes(waiter)) update();
  };
  return {
    exited,
    get done() {
      return done;
    },
    ref: () => set(true),
    unref: () => set(false),
  };
}

/** Resolves when `pid` (a child of this process, or an orphan re-parented to it) exits. */
export function waitForExit(pid: number): Promise<ExitStatus> {
  return watchExit(pid).exited;
}

/**
 * The same for a process with nothing else to do meanwhile (Runtime's `blocking`, the CLI): sleep
 * in poll(2) on the process's pidfd and the event loop's own fd together, and give the loop a turn
 * whenever it has work, so signal listeners (a foreground run forwards signals) still run. No
 * SIGCHLD listener and no timer: setting those up was ~0.5 ms of a CLI call. Timers and
 * immediates do not wake the wait: only I/O and signals do.
 */
export async function waitForExitBlocking(pid: number): Promise<ExitStatus> {
  const pidfd = pidfdOpen(pid);
  try {
    if (!turned) await eventLoopTurn();
    for (let exited = false; ; ) {
      const status = tryReap(pid);
      if (status) return status;
      // Exited, yet not ours to reap so far (a tracer holds it): do not spin.
      if (exited) await new Promise((resolve) => setTimeout(resolve, 10));
      exited = waitExitOrEvents(pidfd);
      if (!exited) await eventLoopTurn();
    }
  } finally {
    closeSync(pidfd);
  }
}

let turned = false;

/**
 * One turn of the event loop. The blocking waits need one before they sleep: libuv adds its fds
 * to its epoll fd (the pipe its signal handler writes to among them) only when the loop runs, and
 * until then a signal wakes no poll on that fd. A CLI call takes it while the executor sets the
 * container up, where it costs no time (the first turn of a process takes ~0.7 ms).
 */
export async function eventLoopTurn(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  turned = true;
}

/** Start watching only when asked: a detached caller must be free to exit at once. */
export function lazyExit(pid: number, blocking: boolean): () => Promise<ExitStatus> {
  let exit: Promise<ExitStatus> | undefined;
  return () => (exit ??= blocking ? waitForExitBlocking(pid) : waitForExit(pid));
}

/**
 * Kill and reap a child of ours (its pid cannot have been recycled before we reap it): in the
 * event loop, or (blocking) in waitpid(2).
 */
export async function killAndReap(pid: number, blocking: boolean): Promise<void> {
  if (blocking) return reapQuietly(pid);
  try {
    killPid(pid, 9);
  } catch {
    // already gone
  }
  await waitForExit(pid).catch(() => {});
}

/** Kill and reap a child of ours, blocking in waitpid(2) (bounded: it was sent SIGKILL). */
export function reapQuietly(pid: number): void {
  try {
    killPid(pid, 9);
  } catch {
    // already gone
  }
  try {
    reapBlocking(pid);
  } catch {
    // already reaped
  }
}
