// How a handle learns that its process exited, and reaps it: the runtime reaps what it started.
//   own child, event loop   reaped in the background from the moment it exists (SIGCHLD, a
//                           waitid on its pid: exit-watcher.ts), so a long-lived process collects
//                           no zombies; wait() only holds the process open meanwhile.
//   own child, blocking     the CLI: waited for in poll(2) when asked (exit-watcher.ts).
//   someone else's          (load(id) of a container another process created): its exit status
//                           is its parent's to collect; the handle sees it go (pid + start time)
//                           and reports no code. Under a subreaper runtime, an orphaned container
//                           becomes our child, and is then reaped with its status.
import { constants } from 'node:os';
import type { ExitStatus as RawExit } from '../../bindings/libc.js';
import { reapIfExited, watchExit, waitForExitBlocking } from './exit-watcher.js';
import { isSameLiveProcess, readProcStat } from './process-info.js';

/** How a process ended, as child_process reports it: one of the two is set (both null: unknown). */
export interface ExitStatus {
  /** The exit code, when it exited on its own. */
  code: number | null;
  /** The signal's name (SIGKILL), when a signal ended it. */
  signal: string | null;
}

let signalNames: Map<number, string> | undefined;
function signalName(n: number): string {
  if (!signalNames) {
    signalNames = new Map();
    for (const [name, value] of Object.entries(constants.signals)) if (!signalNames.has(value)) signalNames.set(value, name);
  }
  return signalNames.get(n) ?? (n >= 34 ? `SIGRTMIN+${n - 34}` : `signal ${n}`);
}

function toStatus(raw: RawExit): ExitStatus {
  return raw.signal !== undefined ? { code: null, signal: signalName(raw.signal) } : { code: raw.code, signal: null };
}

/** A shell's view of a status: the code, or 128 + the signal's number (the CLI's exit code). */
export function shellCode(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  if (status.signal === null) return 0;
  const rt = /^SIGRTMIN\+(\d+)$/.exec(status.signal);
  return 128 + (rt ? 34 + Number(rt[1]) : ((constants.signals as Record<string, number>)[status.signal] ?? 0));
}

export type ExitMode = 'child' | 'child-blocking' | 'foreign';

export class ExitTracker {
  /** Holds the process open while someone waits: the exit watch, or the poll's timer. */
  private hold?: { ref(): void; unref(): void };
  private reaped?: () => boolean;
  private result?: Promise<ExitStatus>;
  private settled?: ExitStatus;
  private holds = 0;

  constructor(
    readonly pid: number,
    private readonly startTime: number | undefined,
    private readonly mode: ExitMode,
    private readonly onExit: (status: ExitStatus) => void,
  ) {
    if (mode === 'child') this.follow(false);
  }

  /** The status once known. */
  get status(): ExitStatus | undefined {
    return this.settled;
  }

  /** Exited and reaped (or seen gone): the pid may belong to another process by now. */
  get gone(): boolean {
    return this.settled !== undefined || (this.reaped?.() ?? false);
  }

  /**
   * Our own child (event-driven): has it exited? It cannot be another process while we have not
   * reaped it, so waitid(2) answers (and reaps it if it has). Undefined for other modes.
   */
  exitedNow(): boolean | undefined {
    if (this.mode !== 'child' || !this.reaped) return undefined;
    reapIfExited(this.pid);
    return this.gone;
  }

  /** Resolves with the exit status; holds the process open meanwhile. */
  async wait(): Promise<ExitStatus> {
    if (this.settled) return this.settled;
    this.start();
    if (this.holds++ === 0) this.hold?.ref();
    try {
      return await this.result!;
    } finally {
      if (--this.holds === 0) this.hold?.unref();
    }
  }

  /** Starts following the exit (for an 'exit' listener) without holding the process open. */
  start(): void {
    if (this.result) return;
    if (this.mode === 'child-blocking') this.result = this.settle(waitForExitBlocking(this.pid).then(toStatus));
    else if (this.mode === 'child' || readProcStat(this.pid)?.ppid === process.pid) this.follow(false);
    else this.result = this.settle(this.poll());
  }

  private follow(ref: boolean): void {
    if (this.result) return;
    const watch = watchExit(this.pid, { ref });
    this.hold = watch;
    this.reaped = () => watch.done;
    // Reaped by someone else meanwhile (ECHILD): gone, its status unknown.
    this.result = this.settle(watch.exited.then(toStatus, () => ({ code: null, signal: null })));
  }

  private settle(p: Promise<ExitStatus>): Promise<ExitStatus> {
    return p.then((status) => {
      this.settled = status;
      // As an emitter's event: a listener that throws is an uncaught exception, not our rejection.
      process.nextTick(() => this.onExit(status));
      return status;
    });
  }

  /** Not our child: watch it go (its parent collects the status). */
  private poll(): Promise<ExitStatus> {
    return new Promise((resolve) => {
      const tick = () => {
        if (this.startTime !== undefined && isSameLiveProcess(this.pid, this.startTime)) return;
        clearInterval(timer);
        resolve({ code: null, signal: null });
      };
      const timer = setInterval(tick, 50);
      // Held open only while someone waits.
      timer.unref();
      this.hold = timer;
      tick();
    });
  }
}
