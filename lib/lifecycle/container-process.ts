// The handle of a process started in a container by exec: its pid, its piped stdio, wait(),
// kill() and an 'exit' event, as child_process's ChildProcess has them. The process is a child
// of this runtime, which reaps it (exit.ts).
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { OciError, toOciError } from '../errors.js';
import { ExitTracker, type ExitMode, type ExitStatus } from './exit.js';
import { operation, type OperationOptions } from './operation.js';
import { parseSignal } from './signals.js';
import type { OpenedStdio } from './stdio.js';
import type { Terminal } from './terminal.js';

export interface ContainerProcessEvents {
  exit: [status: ExitStatus];
}

export interface ContainerProcess {
  on<K extends keyof ContainerProcessEvents>(event: K, listener: (...args: ContainerProcessEvents[K]) => void): this;
  once<K extends keyof ContainerProcessEvents>(event: K, listener: (...args: ContainerProcessEvents[K]) => void): this;
  off<K extends keyof ContainerProcessEvents>(event: K, listener: (...args: ContainerProcessEvents[K]) => void): this;
}

export class ContainerProcess extends EventEmitter {
  /** The process's pid (in this process's pid namespace). */
  readonly pid: number;
  /** Its stdin, when it is 'pipe'. */
  readonly stdin: Writable | null;
  /** Its stdout, when it is 'pipe'. */
  readonly stdout: Readable | null;
  /** Its stderr, when it is 'pipe'. */
  readonly stderr: Readable | null;
  /** The pty master of a process with `terminal` (unless it went to a console socket). */
  readonly terminal: Terminal | null;
  readonly #exit: ExitTracker;

  /** @internal Made by Container.exec(). */
  constructor(pid: number, stdio: OpenedStdio, mode: ExitMode, terminal?: Terminal) {
    super();
    this.terminal = terminal ?? null;
    this.pid = pid;
    const streams = stdio.streams();
    this.stdin = streams.stdin;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.#exit = new ExitTracker(pid, undefined, mode, (status) => this.emit('exit', status));
  }

  /** How it ended, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.#exit.status;
  }

  /**
   * Resolves with how it ended. Cancelled (`signal`, `timeout`): the process is killed (SIGKILL)
   * and reaped, and wait rejects with ERR_ABORTED or ERR_TIMEOUT.
   */
  async wait(options?: OperationOptions): Promise<ExitStatus> {
    const op = operation(options, `wait for process ${this.pid}`);
    try {
      return await (op.signal ? Promise.race([this.#exit.wait(), op.cancelled()]) : this.#exit.wait());
    } catch (err) {
      if (op.signal?.aborted) {
        this.#signal(9);
        await this.#exit.wait().catch(() => {});
        throw op.error();
      }
      throw toOciError(err);
    } finally {
      op.done();
    }
  }

  /** Sends `signal` (default SIGTERM). Refused with ERR_CONTAINER_NOT_RUNNING once it has exited. */
  async kill(signal: string | number = 'SIGTERM'): Promise<void> {
    const sig = parseSignal(signal);
    if (!this.#signal(sig)) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `process ${this.pid} has exited`);
  }

  /** Our child until reaped: its pid cannot have been recycled before. */
  #signal(sig: number): boolean {
    if (this.#exit.gone) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}
