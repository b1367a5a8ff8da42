// runc exec: another process in a created or running container. The executor opens the
// container's namespaces and root through /proc/<pid> (checked to be the recorded process),
// joins them and forks the process, which the runtime then owns like a container process.
import { constants as fsc } from 'node:fs';
import { O } from '../../bindings/constants.js';
import { OciError } from '../errors.js';
import { host } from '../host/host.js';
import { childFds } from '../protocol/child-fds.js';
import { cgroupJoins } from '../plan/cgroup-joins.js';
import type { LinuxNamespaceType, Process, State } from '../spec/index.js';
import type { ContainerRecord } from '../state/store.js';
import type { Context } from './context.js';
import { killAndReap } from './exit-watcher.js';
import { launch, type ChildFile } from './launch.js';
import type { Operation } from './operation.js';
import { isSameLiveProcess } from './process-info.js';
import { writePidFile } from './record.js';
import type { OpenedStdio } from './stdio.js';
import { checkConsole, openConsole, type Terminal } from './terminal.js';
import { stateOf, statusOf, type ContainerState } from './status.js';

export interface ExecFlags {
  /** Write the process's pid here (digits only). */
  pidFile?: string;
  /** As CreateFlags.consoleSocket, for a process with `terminal`. */
  consoleSocket?: string;
  /** As CreateFlags.detached (runc exec --detach). */
  detached?: boolean;
  /**
   * runc exec --cgroup: join existing sub-cgroups of the container's cgroup, by controller
   * (v1, hybrid) or '' for every hierarchy (lib/cgroups/sub-cgroup.ts; parseSubCgroupArgs reads runc's syntax).
   */
  subCgroups?: Readonly<Record<string, string>>;
  /**
   * runc exec --ignore-paused: exec into a paused container too (the process joins the frozen
   * cgroup and is frozen with it until resume, so the call waits for resume as runc's does).
   */
  ignorePaused?: boolean;
}

const NS_FILES: Record<LinuxNamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Starts `proc` in the container of `record`; resolves with its pid once it has exec'd. */
export async function execInContainer(
  ctx: Context,
  record: ContainerRecord,
  proc: Process,
  flags: ExecFlags,
  stdio: OpenedStdio,
  op: Operation,
): Promise<{ pid: number; terminal?: Terminal }> {
  // Validated as config.json's process is (the library's caller, or --process, may give anything).
  proc = (await import('./exec-process.js')).checkExecProcess(proc);
  checkConsole(proc.terminal, flags.consoleSocket, flags.detached ?? false);
  const id = record.id;
  const extra = stdio.extra.length;
  if (flags.subCgroups && !record.cgroup?.dirs.length) {
    throw new OciError('ERR_INVALID_ARGUMENT', `--cgroup: container ${id} has no cgroups of its own to take a sub-cgroup of`);
  }
  const cgroupDirs = record.cgroup ? (flags.subCgroups ? (await import('../cgroups/sub-cgroup.js')).subCgroupDirs(record.cgroup, flags.subCgroups) : record.cgroup.dirs.map((d) => d.dir)) : [];
  const fds = childFds(extra, record.namespaces, 0, cgroupDirs.length);
  // The planner is loaded on first use (a create from a cached plan does without it).
  const [{ planExecProcess }, { loadStoredSeccomp }] = await Promise.all([import('../plan/index.js'), import('../seccomp/compile.js')]);
  // The container's seccomp filter applies to the new process too.
  const seccomp = record.seccomp && loadStoredSeccomp(record.seccomp);
  const plan = planExecProcess({
    process: proc,
    host: host(),
    syncFd: fds.sync,
    joinFds: fds.join,
    rootFd: fds.root,
    consoleFd: proc.terminal ? fds.console : undefined,
    preserveFds: extra,
    seccomp,
    // Not at the spawn: with --ignore-paused the cgroup may be frozen, and a process born in it
    // would freeze before it exec'd the executor, holding this thread in the spawn's vfork wait.
    cgroupJoins: cgroupJoins(fds.cgroups, record.cgroup?.dirs ?? [], false),
  });
  const open: ChildFile[] = record.namespaces.map((type) => ({ path: `/proc/${record.pid}/ns/${NS_FILES[type]}`, flags: fsc.O_RDONLY, to: fds.join[type]! }));
  open.push({ path: `/proc/${record.pid}/root`, flags: O.PATH | O.DIRECTORY, to: fds.root });
  // The process joins the container's cgroups first (planJoinCgroups).
  cgroupDirs.forEach((dir, i) =>
    open.push({
      path: dir,
      flags: O.PATH | O.DIRECTORY,
      to: fds.cgroups[i]!,
      // A sub-cgroup removed since it was checked; runc's words.
      error: (err) => new OciError('ERR_CGROUP', `error adding pid to cgroups: open ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : err.message}`),
    }),
  );
  const link = proc.terminal ? openConsole(flags.consoleSocket) : undefined;
  let pid = 0;
  let terminal: Terminal | undefined;
  try {
    pid = await launch(
      {
        program: plan.program.bytes,
        plan: { namespaces: plan.namespaces, descriptions: async () => plan.program.descriptions },
        fds,
        stdio: stdio.fds,
        extra: stdio.extra,
        spawned: () => stdio.spawned(),
        open,
        consoleFd: link?.childFd,
        // The fds are only ours if the process is still the one we recorded.
        check: () => {
          if (!isSameLiveProcess(record.pid, record.startTime)) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `container not running: ${id}`);
        },
      },
      ctx.blocking,
      // The spec's statuses for the seccomp agent (exec into a paused container is refused before).
      { listener: seccomp?.listener, state: () => specState(stateOf(record, statusOf(record, ctx.store.dir(id)))) },
      'exec',
      op,
    );
    terminal = link?.receive();
    if (flags.pidFile) writePidFile(flags.pidFile, pid);
  } catch (err) {
    terminal?.close();
    if (pid > 0) await killAndReap(pid, ctx.blocking);
    throw err;
  } finally {
    link?.close();
  }
  return { pid, terminal };
}

function specState(st: ContainerState): State {
  return { ...st, status: st.status === 'paused' ? 'running' : st.status };
}
