// The container lifecycle of runtime.md, as a library: a Runtime makes Container handles
// (create, run, load) and lists containers; the verbs on one container are the handle's
// (container.ts). The concepts beside this file:
//   create.ts / exec.ts  the steps of create and exec
//   launch.ts            spawn the executor and run the sync protocol (lib/protocol/) with it
//   parent-step.ts       what the runtime does while the container process waits (id maps, ...)
//   start-gate.ts        the exec fifo that holds a created container until start
//   status.ts            status derived from facts (live process with its start time, the fifo)
//   signals.ts           signal names, and signals delivered only to the process meant
//   exit.ts              waiting for and reaping our children (exit-watcher.ts underneath)
//   stdio.ts             a container's stdio and extra files
//   operation.ts         AbortSignal and timeout
//   locks.ts             the per-container lock
//   record.ts            what create records; plan-cache.ts: config.json to a program, per bundle
import { defaultStateRoot, isRootless } from '../host/rootless.js';
import { setChildSubreaper } from '../../bindings/libc.js';
import { OciError, toOciError } from '../errors.js';
import { StateStore, validateId } from '../state/store.js';
import { SPEC_VERSION } from '../version.js';
import { Container } from './container.js';
import type { Context } from './context.js';
import { createContainer, type CreateFlags } from './create.js';
import { Locks } from './locks.js';
import { operation, type OperationOptions } from './operation.js';
import { PlanCache } from './plan-cache.js';
import { stateOf, statusOf, type ContainerState } from './status.js';
import { openStdio, type ExtraFile, type StdioOptions } from './stdio.js';

export interface RuntimeOptions {
  /** State directory (runc's --root). Default /run/ocirun, or $XDG_RUNTIME_DIR/ocirun when not root. */
  root?: string;
  /**
   * Rootless mode (runc's --rootless): `auto` (the default) when not root. The container then
   * gets only what the caller has: a user namespace is required, and what needs root (idmapped
   * mounts, id maps beyond the caller's own ids without newuidmap/newgidmap) fails naming it.
   */
  rootless?: boolean | 'auto';
  /** Receives warnings (ignored options and the like). */
  warn?: (message: string) => void;
  /**
   * Wait for containers in blocking system calls instead of through the event loop: for a
   * one-shot process that does nothing else meanwhile (the ocirun CLI), where it saves loading
   * Node's net machinery (~10 ms). AbortSignals and timeouts are then only checked between steps,
   * and 'pipe' stdio is not for it. Leave it off in any program that does other work.
   */
  blocking?: boolean;
  /**
   * Make this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER; process-wide, for the
   * process's lifetime): a container whose creating process exited (an `ocirun create` run by
   * this process, say) is re-parented here, and load(id).wait() then reaps it and reports its
   * exit status. Other orphans re-parented here are this process's to reap.
   */
  subreaper?: boolean;
}

export interface CreateOptions extends CreateFlags, OperationOptions {
  /**
   * The container's fds 0-2 (default 'inherit': this process's own, as runc gives its own).
   * 'pipe' makes container.stdin, .stdout, .stderr; see StdioOption.
   */
  stdio?: StdioOptions;
  /** Fds of this process (or streams that have one) that become the container's 3, 4, ... (runc's ExtraFiles). */
  extraFiles?: readonly ExtraFile[];
}

export class Runtime {
  readonly #ctx: Context;

  constructor(options: RuntimeOptions = {}) {
    const blocking = options.blocking ?? false;
    const store = new StateStore(options.root ?? defaultStateRoot(), { deferClose: !blocking });
    this.#ctx = { rootless: isRootless(options.rootless), store, plans: new PlanCache(store.root), locks: new Locks(store, blocking), warn: options.warn ?? (() => {}), blocking };
    if (options.subreaper) setChildSubreaper(true);
  }

  /** The state directory this runtime keeps its containers in. */
  get root(): string {
    return this.#ctx.store.root;
  }

  /**
   * runtime.md "create": set the container up; its program waits for start(). Cancelled
   * (`signal`, `timeout`): nothing is left (no process, no state directory); rejects with
   * ERR_ABORTED or ERR_TIMEOUT.
   */
  create(id: string, bundle: string, options: CreateOptions = {}): Promise<Container> {
    return this.#create(id, bundle, options, true);
  }

  /**
   * create + start in one step (the program runs at once, without the start gate). The container
   * is not deleted when it exits: wait(), then delete(). `signal`/`timeout` bound this step only.
   */
  run(id: string, bundle: string, options: CreateOptions = {}): Promise<Container> {
    return this.#create(id, bundle, options, false);
  }

  /** A handle on an existing container (made by this or another process). */
  async load(id: string): Promise<Container> {
    try {
      validateId(id);
      // Throws "container does not exist"; undefined while another process creates it.
      const record = this.#ctx.store.read(id);
      return new Container(this.#ctx, id, record, undefined, 'foreign');
    } catch (err) {
      throw toOciError(err);
    }
  }

  /** The state of every container under this runtime's root. */
  async list(): Promise<ContainerState[]> {
    const { store } = this.#ctx;
    const out: ContainerState[] = [];
    for (const id of store.ids()) {
      try {
        const record = store.read(id);
        out.push(record ? stateOf(record, statusOf(record, store.dir(id))) : { ociVersion: SPEC_VERSION, id, status: 'creating', bundle: '', rootfs: '', created: '', owner: '' });
      } catch {
        // Removed while we listed.
      }
    }
    return out;
  }

  async #create(id: string, bundle: string, options: CreateOptions, waitForStart: boolean): Promise<Container> {
    const what = `${waitForStart ? 'create' : 'run'} ${id}`;
    let stdio;
    let op;
    try {
      if (typeof options !== 'object' || options === null) throw new OciError('ERR_INVALID_ARGUMENT', `${what}: options must be an object`);
      op = operation(options, what);
      stdio = openStdio(options.stdio, options.extraFiles, what);
      const { record, terminal } = await createContainer(this.#ctx, id, bundle, options, stdio, waitForStart, op);
      const mode = this.#ctx.blocking ? 'child-blocking' : 'child';
      try {
        stdio.streams();
      } catch (err) {
        terminal?.close();
        await new Container(this.#ctx, id, record, undefined, mode).delete({ force: true });
        throw err;
      }
      const container = new Container(this.#ctx, id, record, stdio, mode, terminal);
      // run with startContainer or poststart hooks: created at the start gate, started here.
      if (!waitForStart && (record.hooks?.startContainer || record.hooks?.poststart)) await container.start();
      return container;
    } catch (err) {
      stdio?.abandon();
      throw toOciError(err);
    } finally {
      op?.done();
    }
  }
}

export type { ContainerState };
