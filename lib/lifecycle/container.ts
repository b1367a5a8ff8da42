// The handle of one container (from Runtime.create, run or load): the verbs of runtime.md on it
// (start, kill, delete, state), wait() and an 'exit' event, exec, its piped stdio, and runc's
// cgroup verbs (pause, resume, update, stats, events). A handle
// names the container it was made for (pid + start time): once that container is deleted, the
// handle does not act on another container that later takes the same id.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { OciError, toOciError } from '../errors.js';
import type { LinuxResources, Process } from '../spec/index.js';
import { cgroupPids, setFrozen, signalAll } from '../cgroups/control.js';
import type { CgroupRecord } from '../cgroups/record.js';
import { cgroupStats, type CgroupStats } from '../cgroups/stats.js';
import { updateCgroups } from '../cgroups/update.js';
import { removeContainerCgroup } from './cgroup-teardown.js';
import { recoverUnfinishedCreate } from './recover.js';
import { watchContainer, type ResourceEvents } from './events.js';
import type { ContainerRecord } from '../state/store.js';
import { SPEC_VERSION } from '../version.js';
import { ContainerProcess } from './container-process.js';
import type { Context } from './context.js';
import { execInContainer, type ExecFlags } from './exec.js';
import { killAndReap } from './exit-watcher.js';
import { ExitTracker, type ExitMode, type ExitStatus } from './exit.js';
import { operation, type OperationOptions } from './operation.js';
import { isSameLiveProcess } from './process-info.js';
import { parseSignal, processesInContainer, signalProcess, waitUntilGone } from './signals.js';
import { FIFO, releaseFifo } from './start-gate.js';
import { poststartHooks, poststopHooks, startContainerHooks } from './hook-steps.js';
import { stateOf, statusOf, type ContainerState } from './status.js';
import { openStdio, type ExtraFile, type OpenedStdio, type StdioOptions } from './stdio.js';
import type { Terminal } from './terminal.js';

export interface ExecOptions extends ExecFlags, OperationOptions {
  /** The process's stdio (default 'inherit'); 'pipe' gives process.stdout etc. */
  stdio?: StdioOptions;
  /** Fds of this process that become the process's 3, 4, ... */
  extraFiles?: readonly ExtraFile[];
}

export interface ContainerEvents {
  /** The container process exited (for a loaded container: went away; see ExitStatus). */
  exit: [status: ExitStatus];
}

export interface Container {
  on<K extends keyof ContainerEvents>(event: K, listener: (...args: ContainerEvents[K]) => void): this;
  once<K extends keyof ContainerEvents>(event: K, listener: (...args: ContainerEvents[K]) => void): this;
  off<K extends keyof ContainerEvents>(event: K, listener: (...args: ContainerEvents[K]) => void): this;
}

export class Container extends EventEmitter {
  readonly id: string;
  /** The container's stdin, when created with stdio 'pipe'. */
  readonly stdin: Writable | null;
  /** The container's stdout, when created with stdio 'pipe'. */
  readonly stdout: Readable | null;
  /** The container's stderr, when created with stdio 'pipe'. */
  readonly stderr: Readable | null;
  /**
   * The pty master of a container whose process has `terminal` (from create or run, unless it
   * went to a console socket): its stream, resize(), close().
   */
  readonly terminal: Terminal | null;
  readonly #ctx: Context;
  #record: ContainerRecord | undefined;
  #exit: ExitTracker | undefined;
  readonly #mode: ExitMode;
  #deleted = false;

  /** @internal Made by Runtime.create(), run() and load(). */
  constructor(ctx: Context, id: string, record: ContainerRecord | undefined, stdio: OpenedStdio | undefined, mode: ExitMode, terminal?: Terminal) {
    super();
    this.terminal = terminal ?? null;
    this.#ctx = ctx;
    this.id = id;
    const streams = stdio?.streams();
    this.stdin = streams?.stdin ?? null;
    this.stdout = streams?.stdout ?? null;
    this.stderr = streams?.stderr ?? null;
    this.#mode = mode;
    this.#record = record;
    if (record) this.#track(record);
    // A loaded container's exit is watched once someone listens for it.
    super.on('newListener', (event: string | symbol) => {
      if (event === 'exit') this.#exit?.start();
    });
  }

  /** The container process's pid (0 while the container is still being created by another process). */
  get pid(): number {
    return this.#record?.pid ?? 0;
  }

  /** How the container process ended, once it has (and this handle saw it). */
  get exitStatus(): ExitStatus | undefined {
    return this.#exit?.status;
  }

  /**
   * runtime.md "start": run the user program of a created container. Cancelled (`signal`,
   * `timeout`): the container is killed and deleted, and start rejects with ERR_ABORTED or
   * ERR_TIMEOUT.
   */
  async start(options?: OperationOptions): Promise<void> {
    const op = operation(options, `start ${this.id}`);
    try {
      const unlock = await this.#ctx.locks.acquire(this.id, op);
      try {
        const record = this.#read();
        const status = this.#status(record);
        if (status !== 'created') {
          throw new OciError(status === 'stopped' ? 'ERR_CONTAINER_NOT_RUNNING' : 'ERR_CONTAINER_RUNNING', `cannot start a container that is ${status}: ${this.id}`);
        }
        await startContainerHooks(record, this.#ctx.blocking);
        await releaseFifo(join(this.#ctx.store.dir(this.id), FIFO), record, this.#ctx.blocking, op.signal);
        await poststartHooks(record, this.#ctx.blocking);
      } finally {
        unlock();
      }
    } catch (err) {
      throw await this.#failure(op, err);
    } finally {
      op.done();
    }
  }

  /** A verb's error: cancelled, the container is destroyed and the cancellation is the error. */
  async #failure(op: ReturnType<typeof operation>, err: unknown): Promise<unknown> {
    if (!op.signal?.aborted) return toOciError(err);
    await this.#destroy();
    return op.error();
  }

  /** runtime.md "kill": signal the container process (default SIGTERM), or with `all` every process in it. */
  async kill(signal: string | number = 'SIGTERM', options: { all?: boolean } = {}): Promise<void> {
    try {
      const sig = parseSignal(signal);
      const record = this.#read();
      const status = this.#status(record);
      // runc: --all on a stopped container has nothing left to signal, and succeeds (containerd's
      // shim sends `kill --all CT 9` to a container that may have exited already).
      if (options.all && status === 'stopped') return;
      if (status !== 'created' && status !== 'running' && status !== 'paused') {
        throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${this.id}`);
      }
      if (options.all) {
        // Through the cgroup: every process, also those outside the pid namespace's init.
        if (record.cgroup) return await signalAll(record.cgroup, sig);
        for (const pid of processesInContainer(record)) signalProcess(pid, undefined, sig);
        return;
      }
      if (!signalProcess(record.pid, record.startTime, sig)) {
        throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${this.id}`);
      }
    } catch (err) {
      throw toOciError(err);
    }
  }

  /**
   * Resolves with how the container process ended. Cancelled (`signal`, `timeout`): the container
   * is killed and deleted, and wait rejects with ERR_ABORTED or ERR_TIMEOUT.
   */
  async wait(options?: OperationOptions): Promise<ExitStatus> {
    const op = operation(options, `wait for ${this.id}`);
    try {
      const exit = this.#exit ?? this.#track(this.#read());
      return await (op.signal ? Promise.race([exit.wait(), op.cancelled()]) : exit.wait());
    } catch (err) {
      throw await this.#failure(op, err);
    } finally {
      op.done();
    }
  }

  /**
   * runtime.md "delete": remove what create made. Refused unless stopped; with `force`, the
   * container's processes are killed first, and a container already gone is no error.
   */
  async delete(options: { force?: boolean } = {}): Promise<void> {
    const { store, locks } = this.#ctx;
    try {
      if (this.#deleted) {
        if (options.force) return;
        throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id}`);
      }
      // Killed before the lock is taken: a start that holds it, waiting for this very process,
      // then ends.
      const mine = this.#record;
      if (options.force && mine && isSameLiveProcess(mine.pid, mine.startTime) && this.#sameRecord(readQuietly(this.#ctx, this.id))) {
        for (const pid of processesInContainer(mine)) signalProcess(pid, undefined, 9);
        signalProcess(mine.pid, mine.startTime, 9);
      }
      let unlock: () => void;
      try {
        unlock = await locks.acquire(this.id);
      } catch (err) {
        if (options.force && (err as OciError).code === 'ERR_CONTAINER_NOT_EXIST') {
          this.#deleted = true;
          return;
        }
        throw err;
      }
      try {
        // Removed meanwhile (a failed create, another delete): with force, nothing is left to do.
        if (options.force && !store.exists(this.id)) {
          this.#deleted = true;
          return;
        }
        const record = this.#stored();
        if (record) {
          this.#check(record);
          const status = this.#status(record);
          if (status !== 'stopped') {
            if (!options.force) {
              throw new OciError('ERR_CONTAINER_RUNNING', `cannot delete container ${this.id} that is not stopped: ${status}`);
            }
            if (record.cgroup) await signalAll(record.cgroup, 9);
            for (const pid of processesInContainer(record)) signalProcess(pid, undefined, 9);
            signalProcess(record.pid, record.startTime, 9);
            // A frozen process dies only once thawed.
            if (status === 'paused' && record.cgroup) await setFrozen(record.cgroup, false);
            await waitUntilGone(record.pid, record.startTime);
          }
          if (record.cgroup) await removeContainerCgroup(record.cgroup, this.#ctx.warn);
        } else if (!options.force) {
          throw new OciError('ERR_CONTAINER_RUNNING', `cannot delete container ${this.id} that is not stopped: creating`);
        } else {
          // The lock is ours: the create that made this directory died before it committed.
          await recoverUnfinishedCreate(store, this.id, this.#ctx.warn);
        }
        // Every process is gone: what create set up for the container (cgroups, ...) is released
        // here, the state directory last; then the poststop hooks run (runtime.md step 13).
        store.remove(this.id);
        this.#deleted = true;
        if (record) await poststopHooks(record, this.#ctx.warn, this.#ctx.blocking);
      } finally {
        unlock();
      }
      // Our own child: reaped before delete returns (it is dead, so this is quick).
      if (this.#exit && this.#mode === 'child') await this.#exit.wait();
    } catch (err) {
      throw toOciError(err);
    }
  }

  /** runtime.md "state". */
  async state(): Promise<ContainerState> {
    try {
      if (this.#deleted) throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id}`);
      const record = this.#ctx.store.read(this.id);
      if (!record) {
        if (this.#record) throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id}`);
        // The directory exists but create has not recorded the process yet.
        return { ociVersion: SPEC_VERSION, id: this.id, status: 'creating', bundle: '', rootfs: '', created: '', owner: '' };
      }
      this.#check(record);
      return stateOf(record, this.#status(record));
    } catch (err) {
      throw toOciError(err);
    }
  }

  /** The pids of the container's processes (those in its cgroup, else its pid namespace). */
  async pids(): Promise<number[]> {
    try {
      const record = this.#read();
      if (record.cgroup) return cgroupPids(record.cgroup);
      return this.#status(record) === 'stopped' ? [] : processesInContainer(record);
    } catch (err) {
      throw toOciError(err);
    }
  }

  /** The process of the container's config.json, as recorded at create: what exec starts from. */
  async configProcess(): Promise<Process> {
    try {
      // A copy: the handle's record (shared with the plan cache's frozen config) stays as it is.
      return structuredClone(this.#read().process);
    } catch (err) {
      throw toOciError(err);
    }
  }

  /**
   * runc exec: run `process` in the created or running container. `signal` and `timeout` bound
   * the start of the process (it is killed if cancelled); the handle's wait() takes its own.
   */
  async exec(process: Process, options: ExecOptions = {}): Promise<ContainerProcess> {
    const what = `exec in ${this.id}`;
    const op = operation(options, what);
    let stdio;
    try {
      stdio = openStdio(options.stdio, options.extraFiles, what);
      const record = this.#read();
      const status = this.#status(record);
      if (status === 'paused' && !options.ignorePaused) {
        throw new OciError('ERR_CONTAINER_PAUSED', `cannot exec in a paused container (use --ignore-paused to override): ${this.id}`);
      }
      if (status !== 'created' && status !== 'running' && status !== 'paused') {
        throw new OciError('ERR_CONTAINER_NOT_RUNNING', `cannot exec in a ${status} container: ${this.id}`);
      }
      const { pid, terminal } = await execInContainer(this.#ctx, record, process, options, stdio, op);
      try {
        stdio.streams();
      } catch (err) {
        terminal?.close();
        await killAndReap(pid, this.#ctx.blocking);
        throw err;
      }
      return new ContainerProcess(pid, stdio, this.#ctx.blocking ? 'child-blocking' : 'child', terminal);
    } catch (err) {
      stdio?.abandon();
      throw toOciError(err);
    } finally {
      op.done();
    }
  }

  /** runc pause: freeze every process of the container (its cgroup); its status becomes paused. */
  async pause(): Promise<void> {
    await this.#withCgroup('pause', ['running', 'created'], (cg) => setFrozen(cg, true));
  }

  /** runc resume: thaw a paused container. */
  async resume(): Promise<void> {
    await this.#withCgroup('resume', ['paused'], (cg) => setFrozen(cg, false));
  }

  /** runc update: new limits (linux.resources fields) on a created, running or paused container. */
  async update(resources: LinuxResources): Promise<void> {
    await this.#withCgroup('update', ['created', 'running', 'paused'], (cg) => updateCgroups(cg, resources));
  }

  /** Resource usage from the container's cgroups (runc's stats). */
  async stats(): Promise<CgroupStats> {
    return this.#withCgroup('stats', ['created', 'running', 'paused', 'stopped'], (cg) => cgroupStats(cg));
  }

  /** 'stats' every `intervalMs` (default 5 s), 'oom' per OOM kill in the container, 'exit' when it stops. */
  async events(options: { intervalMs?: number } = {}): Promise<ResourceEvents> {
    return this.#withCgroup('events', ['created', 'running', 'paused'], (cg, record) =>
      watchContainer(cg, () => isSameLiveProcess(record.pid, record.startTime), options.intervalMs ?? 5000),
    );
  }

  // ---- internals ----

  async #withCgroup<T>(verb: string, statuses: string[], fn: (cg: CgroupRecord, record: ContainerRecord) => T | Promise<T>): Promise<T> {
    try {
      const record = this.#read();
      if (!record.cgroup) throw new OciError('ERR_NOT_SUPPORTED', `${verb}: container ${this.id} has no cgroup (this host has no cgroup hierarchy mounted)`);
      const status = this.#status(record);
      if (!statuses.includes(status)) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `cannot ${verb} a container that is ${status}: ${this.id}`);
      return await fn(record.cgroup, record);
    } catch (err) {
      throw toOciError(err);
    }
  }

  #track(record: ContainerRecord): ExitTracker {
    this.#exit ??= new ExitTracker(record.pid, record.startTime, this.#mode, (status) => this.emit('exit', status));
    if (this.listenerCount('exit') > 0) this.#exit.start();
    return this.#exit;
  }

  /** The container's record, checked to be this handle's container. */
  #read(): ContainerRecord {
    if (this.#deleted) throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id}`);
    const record = this.#stored();
    if (!record) {
      if (this.#record) throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id}`);
      throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container ${this.id} is still being created`);
    }
    this.#check(record);
    return record;
  }

  /** Refuses a record of another container under the same id; adopts the first one seen. */
  #check(record: ContainerRecord): void {
    if (!this.#record) {
      this.#record = record;
      this.#track(record);
    } else if (!this.#sameRecord(record)) {
      throw new OciError('ERR_CONTAINER_NOT_EXIST', `container does not exist: ${this.id} (the id now names another container)`);
    }
  }

  /** store.read, unless state.json is still the record this handle holds (the usual case). */
  #stored(): ContainerRecord | undefined {
    if (this.#record && this.#ctx.store.holds(this.#record)) return this.#record;
    return this.#ctx.store.read(this.id);
  }

  #sameRecord(record: ContainerRecord | undefined): boolean {
    return record !== undefined && record.pid === this.#record?.pid && record.startTime === this.#record?.startTime;
  }

  #status(record: ContainerRecord) {
    const exited = this.#sameRecord(record) ? this.#exit?.exitedNow() : undefined;
    return statusOf(record, this.#ctx.store.dir(this.id), exited === undefined ? undefined : !exited);
  }

  /** After a cancel: kill and delete, whatever state it is in. */
  async #destroy(): Promise<void> {
    await this.delete({ force: true }).catch(() => {});
  }
}

function readQuietly(ctx: Context, id: string): ContainerRecord | undefined {
  try {
    return ctx.store.read(id);
  } catch {
    return undefined;
  }
}
