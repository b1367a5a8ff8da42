// The container lifecycle of runtime.md: create, start, state, kill, delete (plus run, exec and
// list), the verbs over the concepts beside this file:
//   launch.ts       spawn the executor and run the sync protocol (lib/protocol/) with it
//   parent-step.ts  what the runtime does while the container process waits (id maps, ...)
//   start-gate.ts   the exec fifo that holds a created container until start
//   status.ts       status derived from facts (live process with its start time, the fifo)
//   signals.ts      signal names, and signals delivered only to the process meant
//   record.ts       what create records; exit-watcher.ts: waiting for and reaping our children
//   plan-cache.ts   config.json to a program, once per bundle
// Lifecycle steps, in order: create (plan, state dir, launch, record), start (release the gate),
// kill, delete (kill what is left, remove the state dir).
import { constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExitStatus } from '../../bindings/libc.js';
import { O } from '../../bindings/constants.js';
import { OciError } from '../errors.js';
import { host } from '../host/host.js';
import { childFds } from '../protocol/child-fds.js';
import type { LinuxNamespaceType, Process } from '../spec/index.js';
import { StateStore, validateId, type ContainerRecord } from '../state/store.js';
import { SPEC_VERSION } from '../version.js';
import { lazyExit, reapQuietly } from './exit-watcher.js';
import { launch, type ChildFile } from './launch.js';
import { PlanCache } from './plan-cache.js';
import { isSameLiveProcess } from './process-info.js';
import { containerRecord, writePidFile } from './record.js';
import { parseSignal, processesInContainer, signalProcess, waitUntilGone } from './signals.js';
import { FIFO, makeFifo, releaseFifo } from './start-gate.js';
import { stateOf, statusOf, type ContainerState } from './status.js';

export type { ContainerStatus } from '../spec/index.js';
import type { ContainerStatus } from '../spec/index.js';

export interface RuntimeOptions {
  /** State directory (runc's --root). Default /run/ocirun. */
  root?: string;
  /** Receives warnings (ignored options and the like). */
  warn?: (message: string) => void;
  /**
   * Wait for containers in blocking system calls instead of through the event loop: for a
   * process that does nothing else meanwhile (the CLI), where it saves loading Node's net
   * machinery (~10 ms). A library user that starts several containers at once leaves it off.
   */
  blocking?: boolean;
}

export interface CreateOptions {
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Pass fds 3 .. 3+N-1 of this process to the container. */
  preserveFds?: number;
  /**
   * Socket activation: fds 3 .. 3+N-1 are systemd's LISTEN_FDS; they are passed before the
   * preserved fds and the container gets LISTEN_FDS=N and LISTEN_PID=1 (as runc does).
   */
  listenFds?: number;
  consoleSocket?: string;
}

export interface ExecOptions {
  detach?: boolean;
  pidFile?: string;
  preserveFds?: number;
  consoleSocket?: string;
}

export type { ContainerState };

/** A process started by `run` or `exec`: wait() resolves with its exit status. */
export interface ProcessHandle {
  id: string;
  pid: number;
  wait(): Promise<ExitStatus>;
}

export class Runtime {
  readonly store: StateStore;
  private readonly warn: (message: string) => void;
  /** Validated, planned bundles (plan-cache.ts). */
  private readonly plans: PlanCache;
  private readonly blocking: boolean;

  constructor(options: RuntimeOptions = {}) {
    this.blocking = options.blocking ?? false;
    this.store = new StateStore(options.root ?? '/run/ocirun', { deferClose: !this.blocking });
    this.plans = new PlanCache(this.store.root);
    this.warn = options.warn ?? (() => {});
  }

  /** runtime.md "create": set up everything; the user program waits for `start`. */
  async create(id: string, bundle: string, options: CreateOptions = {}): Promise<ContainerState> {
    const record = await this.createContainer(id, bundle, options, true);
    return stateOf(record, 'created');
  }

  /** runtime.md "start": run the user program of a created container. */
  async start(id: string): Promise<void> {
    const unlock = this.store.lock(id);
    try {
      const record = this.mustRead(id);
      const status = this.statusOf(record);
      if (status !== 'created') {
        throw new OciError(status === 'stopped' ? 'ERR_CONTAINER_NOT_RUNNING' : 'ERR_CONTAINER_RUNNING', `cannot start a container that is ${status}: ${id}`);
      }
      await releaseFifo(join(this.store.dir(id), FIFO), record, this.blocking);
    } finally {
      unlock();
    }
  }

  state(id: string): ContainerState {
    const record = this.store.read(id);
    if (!record) {
      // The directory exists but create has not recorded the process yet.
      return { ociVersion: SPEC_VERSION, id, status: 'creating', bundle: '', rootfs: '', created: '', owner: '' };
    }
    return stateOf(record, this.statusOf(record));
  }

  list(): ContainerState[] {
    const out: ContainerState[] = [];
    for (const id of this.store.ids()) {
      try {
        out.push(this.state(id));
      } catch {
        // Removed while we listed.
      }
    }
    return out;
  }

  /** runtime.md "kill": signal the container process (or, with `all`, every process in it). */
  kill(id: string, signal: string | number = 'SIGTERM', options: { all?: boolean } = {}): void {
    const sig = parseSignal(signal);
    const record = this.mustRead(id);
    const status = this.statusOf(record);
    // runc: --all on a stopped container has nothing left to signal, and succeeds (containerd's
    // shim sends `kill --all CT 9` to a container that may have exited already).
    if (options.all && status === 'stopped') return;
    if (status !== 'created' && status !== 'running') {
      throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${id}`);
    }
    if (options.all) {
      for (const pid of processesInContainer(record)) signalProcess(pid, undefined, sig);
      return;
    }
    if (!signalProcess(record.pid, record.startTime, sig)) {
      throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${id}`);
    }
  }

  /** runtime.md "delete": remove what create made. Refused unless stopped, or with `force`. */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    // Refused with "container does not exist" when there is no such directory to lock.
    const unlock = this.store.lock(id);
    try {
      const record = this.store.read(id);
      if (record) {
        const status = this.statusOf(record);
        if (status !== 'stopped') {
          if (!options.force) {
            throw new OciError('ERR_CONTAINER_RUNNING', `cannot delete container ${id} that is not stopped: ${status}`);
          }
          for (const pid of processesInContainer(record)) signalProcess(pid, undefined, 9);
          signalProcess(record.pid, record.startTime, 9);
          await waitUntilGone(record.pid, record.startTime);
        }
      } else if (!options.force) {
        throw new OciError('ERR_CONTAINER_RUNNING', `cannot delete container ${id} that is not stopped: creating`);
      }
      // Every process is gone: what create set up for the container is released here, the state
      // directory last.
      this.store.remove(id);
    } finally {
      unlock();
    }
  }

  /** create + start, foreground: the handle's wait() gives the exit status. Not deleted on exit. */
  async run(id: string, bundle: string, options: CreateOptions = {}): Promise<ProcessHandle> {
    const { pid } = await this.createContainer(id, bundle, options, false);
    return { id, pid, wait: lazyExit(pid, this.blocking) };
  }

  /** The process of the container's config.json: what `exec` starts from. */
  configProcess(id: string): Process {
    return this.mustRead(id).process;
  }

  /** The processes of the container (for `ps`). */
  pids(id: string): number[] {
    const record = this.mustRead(id);
    return this.statusOf(record) === 'stopped' ? [] : processesInContainer(record);
  }

  /** Run another process in a created or running container (runc exec). */
  async exec(id: string, proc: Process, options: ExecOptions = {}): Promise<ProcessHandle> {
    if (options.consoleSocket || proc.terminal) {
      throw new OciError('ERR_NOT_SUPPORTED', 'exec: terminals (--tty, --console-socket) are not supported by ocirun yet');
    }
    const record = this.mustRead(id);
    const status = this.statusOf(record);
    if (status !== 'created' && status !== 'running') {
      throw new OciError('ERR_CONTAINER_NOT_RUNNING', `cannot exec in a ${status} container: ${id}`);
    }
    const fds = childFds(options.preserveFds ?? 0, record.namespaces);
    // The planner is loaded on first use (a create from a cached plan does without it).
    const { planExecProcess } = await import('../plan/index.js');
    const plan = planExecProcess({ process: proc, host: host(), syncFd: fds.sync, joinFds: fds.join, rootFd: fds.root, preserveFds: options.preserveFds });
    const open: ChildFile[] = record.namespaces.map((type) => ({ path: `/proc/${record.pid}/ns/${NS_FILES[type]}`, flags: fsc.O_RDONLY, to: fds.join[type]! }));
    open.push({ path: `/proc/${record.pid}/root`, flags: O.PATH | O.DIRECTORY, to: fds.root });
    const pid = await launch(
      {
        program: plan.program.bytes,
        plan: { namespaces: plan.namespaces, descriptions: async () => plan.program.descriptions },
        fds,
        preserveFds: options.preserveFds ?? 0,
        open,
        // The fds are only ours if the process is still the one we recorded.
        check: () => {
          if (!isSameLiveProcess(record.pid, record.startTime)) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${id}`);
        },
      },
      this.blocking,
      {},
      'exec',
    );
    if (options.pidFile) {
      try {
        writePidFile(options.pidFile, pid);
      } catch (err) {
        reapQuietly(pid);
        throw err;
      }
    }
    return { id, pid, wait: lazyExit(pid, this.blocking) };
  }

  // ---- internals ----

  private mustRead(id: string): ContainerRecord {
    const record = this.store.read(id);
    if (!record) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container ${id} is still being created`);
    return record;
  }

  private statusOf(record: ContainerRecord): ContainerStatus {
    return statusOf(record, this.store.dir(record.id));
  }

  private async createContainer(id: string, bundleArg: string, options: CreateOptions, waitForStart: boolean): Promise<ContainerRecord> {
    if (options.consoleSocket) {
      throw new OciError('ERR_NOT_SUPPORTED', 'create: --console-socket is not supported by ocirun yet (no console support)');
    }
    // Before the id goes into the program (and before any bundle work): a bad id is the error.
    validateId(id);
    const bundle = resolve(bundleArg);
    const listenFds = options.listenFds ?? 0;
    const totalPreserved = (options.preserveFds ?? 0) + listenFds;
    const prepared = await this.plans.prepare(
      { bundle, waitForStart, noPivot: options.noPivot, noNewKeyring: options.noNewKeyring, preserveFds: totalPreserved, listenFds },
      id,
      this.warn,
    );
    const { spec, rootfs, fds } = prepared;

    const dir = this.store.createDir(id);
    let containerPid = 0;
    try {
      const open: ChildFile[] = [];
      if (waitForStart) {
        makeFifo(dir);
        open.push({ path: dir, flags: O.PATH | O.DIRECTORY, to: fds.fifoDir });
      }
      for (const { type, path } of prepared.joins) {
        open.push({
          path,
          flags: fsc.O_RDONLY,
          to: fds.join[type]!,
          error: (err) => new OciError('ERR_INVALID_CONFIG', `config.json: linux.namespaces: cannot open the ${type} namespace ${path}: ${err.message}`),
        });
      }
      const stage = (pid: number) => {
        const record = containerRecord(pid, { id, bundle, rootfs, spec });
        return { record, commit: this.store.stage(record) };
      };
      // When the executor is the container process, its record is written while it sets the
      // container up, and only renamed into place once it is created.
      let staged: ReturnType<typeof stage> | undefined;
      const whileSettingUp = (pid: number) => {
        try {
          staged = stage(pid);
        } catch {
          // The handshake tells what went wrong.
        }
      };
      containerPid = await launch(
        { program: prepared.program, patches: prepared.patches, plan: prepared, fds, preserveFds: totalPreserved, open, whileSettingUp },
        this.blocking,
        { spec },
        'create',
      );
      const { record, commit } = staged ?? stage(containerPid);
      commit();
      if (options.pidFile) writePidFile(options.pidFile, containerPid);
      return record;
    } catch (err) {
      // Our own child until we reap it: its pid cannot have been recycled.
      if (containerPid > 0) reapQuietly(containerPid);
      this.store.remove(id);
      throw err;
    }
  }
}

const NS_FILES: Record<LinuxNamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};
