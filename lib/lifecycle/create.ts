// runtime.md "create": from a bundle to a container process that is set up and, unless it runs
// at once (run), waits at the start gate. Steps, in order: plan (cached per bundle), reserve the
// state directory, make the cgroups (limits written), make the start gate, launch (spawn + handshake; the parent's step runs in it),
// record the process. A failure or a cancel at any step leaves nothing: no process, no state
// directory.
import { constants as fsc } from 'node:fs';
import { resolve } from 'node:path';
import { O } from '../../bindings/constants.js';
import { OciError } from '../errors.js';
import { validateId, type ContainerRecord } from '../state/store.js';
import type { Context } from './context.js';
import { killAndReap } from './exit-watcher.js';
import { launch, type ChildFile } from './launch.js';
import type { Operation } from './operation.js';
import { containerRecord, writePidFile } from './record.js';
import { makeFifo } from './start-gate.js';
import { makeMappingNamespaces, type MappingNamespaces } from './idmap-namespaces.js';
import { planIdmaps } from '../plan/idmap.js';
import { createHooks, creatingState, HookError, needsStartStep, poststopAfterFailedCreate } from './hook-steps.js';
import { ownCgroups } from '../cgroups/layout.js';
import { cgroupDirs } from '../cgroups/path.js';
import { cgroupsToMake, createCgroups } from '../cgroups/create.js';
import { removeContainerCgroup } from './cgroup-teardown.js';
import { cgroupJoins } from '../plan/cgroup-joins.js';
import { host } from '../host/host.js';
import type { CgroupRecord } from '../cgroups/record.js';
import type { OpenedStdio } from './stdio.js';
import { checkConsole, openConsole, type ConsoleLink, type Terminal } from './terminal.js';

/** What create does beyond the bundle (runc's create flags). */
export interface CreateFlags {
  /** Write the container process's pid here (digits only), once it is created. */
  pidFile?: string;
  /** Enter the rootfs with MS_MOVE and chroot instead of pivot_root (runc --no-pivot). */
  noPivot?: boolean;
  /** Keep the session keyring of this process (runc --no-new-keyring). */
  noNewKeyring?: boolean;
  /**
   * Socket activation: the first N extra files are systemd's LISTEN_FDS; the container gets
   * LISTEN_FDS=N and LISTEN_PID=1 (as runc does).
   */
  listenFds?: number;
  /**
   * process.terminal: the unix socket the pty master is sent to (runc's --console-socket).
   * Without one, the master comes back as container.terminal (unless `detached`).
   */
  consoleSocket?: string;
  /** Nobody here takes a terminal's master: process.terminal then needs consoleSocket (runc create, run -d). */
  detached?: boolean;
}

/** Creates the container; resolves with its record once the process is set up. */
export async function createContainer(
  ctx: Context,
  id: string,
  bundleArg: string,
  flags: CreateFlags,
  stdio: OpenedStdio,
  waitForStart: boolean,
  op: Operation,
): Promise<{ record: ContainerRecord; terminal?: Terminal }> {
  // Before the id goes into the program (and before any bundle work): a bad id is the error.
  validateId(id);
  if (typeof bundleArg !== 'string' || !bundleArg) throw new OciError('ERR_INVALID_ARGUMENT', `create ${id}: bundle must be a directory path`);
  const bundle = resolve(bundleArg);
  const listenFds = flags.listenFds ?? 0;
  if (!Number.isInteger(listenFds) || listenFds < 0 || listenFds > stdio.extra.length) {
    throw new OciError('ERR_INVALID_ARGUMENT', `create ${id}: listenFds (${listenFds}) must count some of the ${stdio.extra.length} extra files`);
  }
  const prepareFor = (wait: boolean) =>
    ctx.plans.prepare({ bundle, waitForStart: wait, rootless: ctx.rootless, noPivot: flags.noPivot, noNewKeyring: flags.noNewKeyring, preserveFds: stdio.extra.length, listenFds }, id, ctx.warn);
  let prepared = await prepareFor(waitForStart);
  // run: startContainer and poststart hooks belong to a start step, so the container waits at
  // the start gate for it (the runtime starts it at once: Runtime.run).
  if (!waitForStart && needsStartStep(prepared.spec)) prepared = await prepareFor((waitForStart = true));
  op.check();
  const { spec, rootfs, fds } = prepared;
  const tty = spec.process!.terminal;
  checkConsole(tty, flags.consoleSocket, flags.detached ?? false);

  const dir = ctx.store.createDir(id);
  // Held until create ends: delete --force of a creating container waits for it, and finds the
  // lock free only if this process died; it then undoes what the journal and the staged record
  // name (recover.ts).
  const unlock = ctx.store.tryLock(id);
  if (!unlock) throw new OciError('ERR_CONTAINER_EXISTS', `container with given ID already exists: ${id} (being deleted)`);
  let containerPid = 0;
  let idmapNs: MappingNamespaces | undefined;
  let link: ConsoleLink | undefined;
  let terminal: Terminal | undefined;
  let cgroup: CgroupRecord | undefined;
  try {
    if (tty) link = openConsole(flags.consoleSocket);
    const open: ChildFile[] = [];
    // The cgroups first, limits written; the process joins them in its first ops. Rootless: in
    // the hierarchies delegated to the user only (lib/cgroups/delegation.ts).
    const layout = prepared.cgroupLayout;
    if (layout.hierarchies.length) {
      const dirs = cgroupDirs(layout, spec.linux?.cgroupsPath, id, ownCgroups);
      ctx.store.journal(id, { cgroup: cgroupsToMake(layout.mode, dirs) });
      cgroup = createCgroups(layout.mode, dirs, prepared.cgroup);
      const joins = cgroupJoins(fds.cgroups, layout.hierarchies, host().cloneIntoCgroup);
      dirs.forEach((d, i) => open.push({ path: d.dir, flags: O.PATH | O.DIRECTORY, to: fds.cgroups[i]!, spawnInto: joins[i]!.atSpawn }));
    }
    const { mappings } = planIdmaps(spec);
    if (mappings.length) {
      idmapNs = makeMappingNamespaces(mappings);
      idmapNs.paths.forEach((path, i) => open.push({ path, flags: fsc.O_RDONLY, to: fds.idmap[i] }));
    }
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
      const record = containerRecord(pid, { id, bundle, rootfs, spec, seccomp: prepared.seccomp, cgroup });
      return { record, commit: ctx.store.stage(record) };
    };
    // Staged as soon as the pid is known (right after the spawn when the executor is the
    // container process, else at its PID message, before any answer lets it go on): a create
    // killed from then on leaves delete --force the process to kill. Renamed into place once created.
    let staged: ReturnType<typeof stage> | undefined;
    const whileSettingUp = (pid: number) => {
      try {
        staged = stage(pid);
      } catch {
        // The handshake tells what went wrong.
      }
    };
    containerPid = await launch(
      { program: prepared.program, patches: prepared.patches, plan: prepared, fds, stdio: stdio.fds, extra: stdio.extra, spawned: () => stdio.spawned(), open, consoleFd: link?.childFd, whileSettingUp },
      ctx.blocking,
      {
        spec,
        listener: prepared.seccomp?.listener,
        state: (pid) => creatingState({ id, bundle, spec }, pid),
        createHooks: (pid) => createHooks({ id, bundle, spec }, pid, ctx.blocking),
      },
      'create',
      op,
    );
    // Sent before the container reported itself created: it is waiting on the socket.
    terminal = link?.receive();
    op.check();
    const { record, commit } = staged ?? stage(containerPid);
    commit();
    // Committed: a journal left behind is harmless, and must not turn the created container into a failure.
    if (cgroup) {
      try {
        ctx.store.dropJournal(id);
      } catch {
        // state.json supersedes it
      }
    }
    if (flags.pidFile) writePidFile(flags.pidFile, containerPid);
    return { record, terminal };
  } catch (err) {
    terminal?.close();
    // Our own child until we reap it: its pid cannot have been recycled.
    if (containerPid > 0) await killAndReap(containerPid, ctx.blocking);
    // What the container forked or let join keeps its cgroups busy: killed, removed, and a warning
    // for what stays (it never throws: the create's own error is the one to report).
    if (cgroup) await removeContainerCgroup(cgroup, ctx.warn);
    ctx.store.remove(id);
    // A create-phase hook failed: the lifecycle goes on at steps 12 and 13 (runtime.md).
    if (err instanceof HookError) await poststopAfterFailedCreate({ id, bundle, spec }, ctx.warn, ctx.blocking);
    throw op.signal?.aborted ? op.error() : err;
  } finally {
    unlock();
    idmapNs?.release();
    link?.close();
  }
}
