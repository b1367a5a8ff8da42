// The container lifecycle of runtime.md: create, start, state, kill, delete (plus run, exec and
// list). Status is derived from facts (is the recorded process alive with the recorded start
// time? does the exec fifo still exist?), never trusted from a stored word.
import { chmodSync, closeSync, constants as fsc, existsSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { kill as killPid, mkfifo, waitReadable, pidfdOpen, pidfdSendSignal, reapBlocking, socketPair, spawnProgram, tryReap, type ExitStatus } from '../bindings/libc.js';
import { O } from '../bindings/constants.js';
import type { ProgramPatch } from '../bindings/program-format.js';
import { OciError } from './errors.js';
import { eventLoopTurn, waitForExit, waitForExitBlocking } from './exit-watcher.js';
import { host } from './host.js';
import { initError, netSocket, openInitChannel, type InitChannel } from './init-channel.js';
import { childFds, type ChildFds } from './plan/child-fds.js';
import type { NamespacePhase } from './plan/namespaces.js';
import { PlanCache } from './prepare.js';
import { SYNC_CREATED, SYNC_READY } from './plan/sync.js';
import { timensOffsets } from './plan/namespaces.js';
import { isSameLiveProcess, readProcStat } from './process-info.js';
import { utcTimestamp } from './timestamp.js';
import { parseSignal } from './signals.js';
import type { LinuxIDMapping, LinuxNamespaceType, Process, Spec, State } from './spec/index.js';
import { StateStore, validateId, type ContainerRecord } from './state/store.js';
import { SPEC_VERSION } from './version.js';

export type { ContainerStatus } from './spec/index.js';
import type { ContainerStatus } from './spec/index.js';

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

export interface ContainerState extends State {
  status: ContainerStatus;
  rootfs: string;
  created: string;
  owner: string;
}

/** A process started by `run` or `exec`: wait() resolves with its exit status. */
export interface ProcessHandle {
  id: string;
  pid: number;
  wait(): Promise<ExitStatus>;
}

const FIFO = 'exec.fifo';

export class Runtime {
  readonly store: StateStore;
  private readonly warn: (message: string) => void;
  /** Validated, planned bundles (lib/prepare.ts). */
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
    const { planExecProcess } = await import('./plan/index.js');
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
    if (!isSameLiveProcess(record.pid, record.startTime)) return 'stopped';
    return existsSync(join(this.store.dir(record.id), FIFO)) ? 'created' : 'running';
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
        mkfifo(join(dir, FIFO), 0o622);
        // mkfifo applies the umask; the container process may be a mapped root (user namespace)
        // that can only open the fifo through its "others" write bit.
        chmodSync(join(dir, FIFO), 0o622);
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
      const recordOf = (pid: number): ContainerRecord => {
        const st = readProcStat(pid);
        if (!st) throw new OciError('ERR_CONTAINER_INIT', `create: the container process ${pid} exited during create`);
        return {
          ociVersion: SPEC_VERSION,
          id,
          pid,
          startTime: st.startTime,
          bundle,
          rootfs,
          created: utcTimestamp(),
          owner: owner(),
          annotations: spec.annotations,
          namespaces: (spec.linux?.namespaces ?? []).map((n) => n.type),
          process: spec.process!,
        };
      };
      const stage = (pid: number) => {
        const record = recordOf(pid);
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

function stateOf(record: ContainerRecord, status: ContainerStatus): ContainerState {
  const state: ContainerState = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (record.annotations && Object.keys(record.annotations).length) state.annotations = record.annotations;
  return state;
}

let ownerName: string | undefined;
/** The user running ocirun, by name (from /etc/passwd: os.userInfo() goes through NSS, ~2 ms). */
function owner(): string {
  if (ownerName !== undefined) return ownerName;
  const uid = process.getuid?.() ?? 0;
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid && f[0]) return (ownerName = f[0]);
    }
  } catch {
    // no /etc/passwd
  }
  return (ownerName = userInfo().username);
}

const NS_FILES: Record<LinuxNamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

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
interface ChildFile {
  path: string;
  flags: number;
  to: number;
  error?: (err: Error) => Error;
}

/** What the executor starts with: its program and the fds it expects (lib/plan/child-fds.ts). */
interface Launch {
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
async function launch(l: Launch, blocking: boolean, ctx: { spec?: Spec }, verb: 'create' | 'exec'): Promise<number> {
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
 * The runtime side of the protocol in lib/plan/sync.ts. Fills in `children.container` and
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
    const pid = children.container;
    if (plan.namespaces.newUser && ctx.spec) writeIdMaps(pid, ctx.spec);
    const offsets = timensOffsets(ctx.spec?.linux?.timeOffsets);
    if (plan.namespaces.newTime && offsets) writeProcFile(pid, 'timens_offsets', offsets);
    const oom = ctx.spec?.process?.oomScoreAdj;
    if (oom !== undefined) writeProcFile(pid, 'oom_score_adj', String(oom));
    channel.send('g');
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

function writeIdMaps(pid: number, spec: Spec): void {
  const lines = (maps: LinuxIDMapping[] | undefined) => (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  writeProcFile(pid, 'uid_map', lines(spec.linux?.uidMappings));
  writeProcFile(pid, 'gid_map', lines(spec.linux?.gidMappings));
}

function writeProcFile(pid: number, name: string, text: string): void {
  try {
    writeFileSync(`/proc/${pid}/${name}`, text);
  } catch (err) {
    throw new OciError('ERR_CONTAINER_INIT', `create: write ${JSON.stringify(text.trim())} to /proc/${pid}/${name}: ${(err as Error).message}`);
  }
}

/** Open the exec fifo for reading; the blocked container process then writes one byte and execs. */
async function releaseFifo(path: string, record: ContainerRecord, blocking: boolean): Promise<void> {
  // Opening the fifo releases the process blocked opening it for writing; its byte says it
  // goes on to exec. The wait never spins: on a small machine a spinning runtime kept that
  // process off its CPU for a whole tick. A fifo nobody has opened for writing yet reports
  // nothing to poll or epoll, not end of file.
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const alive = () => isSameLiveProcess(record.pid, record.startTime);
  const started = blocking ? waitForByte(fd, alive) : await waitForByteEvents(fd, alive);
  if (!started) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `cannot start container ${record.id}: its process exited`);
  unlinkSync(path);
}

/** Blocking: poll the fifo, checking every 20 ms that the process still lives. Closes `fd`. */
function waitForByte(fd: number, alive: () => boolean): boolean {
  const buf = Buffer.alloc(1);
  try {
    for (;;) {
      const ready = waitReadable(fd, 20);
      if (ready) {
        try {
          // One byte: started. End of file: it opened the fifo and died before writing.
          return readSync(fd, buf, 0, 1, null) === 1;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
      } else if (!alive()) return readByteNow(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * After the process was found dead: a quick one opens the fifo, writes its byte, execs and exits
 * between two looks, and the byte says it was started.
 */
function readByteNow(fd: number): boolean {
  try {
    return readSync(fd, Buffer.alloc(1), 0, 1, null) === 1;
  } catch {
    return false; // EAGAIN: nothing was written
  }
}

/** Through the event loop; a process that dies before it opens the fifo makes no event at all. Closes `fd`. */
function waitForByteEvents(fd: number, alive: () => boolean): Promise<boolean> {
  return new Promise<boolean>((settle) => {
    const fifo = netSocket({ fd, readable: true, writable: false });
    let got = false;
    const finish = (ok: boolean) => {
      clearInterval(watch);
      fifo.destroy();
      settle(ok);
    };
    fifo.once('data', () => {
      got = true;
      finish(true);
    });
    // The writer closed (it died after opening) or the read failed: started only if it wrote.
    fifo.once('end', () => finish(got));
    fifo.once('error', () => finish(got));
    // Timers run before the event loop reads: the byte may be waiting in the fifo.
    const watch = setInterval(() => {
      if (!alive()) finish(got || readByteNow(fd));
    }, 20);
  });
}

/**
 * Signal a process only if it is the one we mean: open a pidfd, then check the start time; the
 * pidfd pins that process, so a recycled pid can never receive the signal.
 */
function signalProcess(pid: number, startTime: number | undefined, signal: number): boolean {
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch {
    return false;
  }
  try {
    if (startTime !== undefined) {
      const st = readProcStat(pid);
      if (!st || st.startTime !== startTime) return false;
    }
    pidfdSendSignal(pidfd, signal);
    return true;
  } catch (err) {
    if ((err as { errnoCode?: string }).errnoCode === 'ESRCH') return false;
    throw err;
  } finally {
    closeSync(pidfd);
  }
}

/** Every process in the container's pid namespace (the container's own processes). */
function processesInContainer(record: ContainerRecord): number[] {
  if (!record.namespaces.includes('pid')) return isSameLiveProcess(record.pid, record.startTime) ? [record.pid] : [];
  let target: string;
  try {
    target = readlinkNs(record.pid);
  } catch {
    return [];
  }
  if (!isSameLiveProcess(record.pid, record.startTime)) return [];
  const pids: number[] = [];
  for (const entry of readdirProc()) {
    try {
      if (readlinkNs(entry) === target) pids.push(entry);
    } catch {
      // exited
    }
  }
  return pids;
}

function readlinkNs(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/pid`);
}
function readdirProc(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

async function waitUntilGone(pid: number, startTime: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (isSameLiveProcess(pid, startTime)) {
    if (Date.now() > deadline) throw new OciError('ERR_CONTAINER_RUNNING', `process ${pid} did not exit after SIGKILL`);
    await new Promise((r) => setTimeout(r, 2));
  }
}


/** Start watching only when asked: a detached caller must be free to exit at once. */
function lazyExit(pid: number, blocking: boolean): () => Promise<ExitStatus> {
  let exit: Promise<ExitStatus> | undefined;
  return () => (exit ??= blocking ? waitForExitBlocking(pid) : waitForExit(pid));
}

function reapQuietly(pid: number): void {
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

/** Digits only, no newline: containerd's parser does not trim. */
function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, String(pid));
  renameSync(tmp, path);
}

