// Waiting for container processes without blocking the event loop or a thread-pool thread:
// SIGCHLD wakes us, then waitid(WNOHANG) on each watched pid reaps exactly the processes we
// watch (libuv reaps only its own children, by pid, so the two never steal from each other).
// A slow ref'd timer keeps the process alive while anything is watched and covers a lost signal.
// The SIGCHLD listener stays once added (it keeps nothing alive): adding and removing it around
// every wait cost ~0.1 ms per container.
import { closeSync } from 'node:fs';
import { kill as killPid, pidfdOpen, reapBlocking, tryReap, waitExitOrEvents, type ExitStatus } from '../../bindings/libc.js';

const watched = new Map<number, { resolve: (s: ExitStatus) => void; reject: (e: unknown) => void }[]>();
let timer: NodeJS.Timeout | undefined;
let listening = false;

function check(): void {
  for (const [pid, waiters] of watched) {
    let status: ExitStatus | undefined;
    try {
      status = tryReap(pid);
    } catch (err) {
      watched.delete(pid);
      for (const w of waiters) w.reject(err);
      continue;
    }
    if (status) {
      watched.delete(pid);
      for (const w of waiters) w.resolve(status);
    }
  }
  if (watched.size === 0) stop();
}

function start(): void {
  if (!listening) {
    process.on('SIGCHLD', check);
    listening = true;
  }
  timer ??= setInterval(check, 200);
}

function stop(): void {
  if (!timer) return;
  clearInterval(timer);
  timer = undefined;
}

/** Resolves when `pid` (a child of this process, or an orphan re-parented to it) exits. */
export function waitForExit(pid: number): Promise<ExitStatus> {
  return new Promise((resolve, reject) => {
    const list = watched.get(pid) ?? [];
    list.push({ resolve, reject });
    watched.set(pid, list);
    start();
    // It may have exited before we started listening.
    queueMicrotask(check);
  });
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

/** Kill and reap a child of ours (its pid cannot have been recycled before we reap it). */
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
