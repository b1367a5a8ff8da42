// Hooks (config.md "POSIX-platform Hooks"): each hook runs as its own process, started by the
// executor like any other (lib/hooks/program.ts), with the container's state on stdin, only its
// `env`, and stdout and stderr kept in memory files: the runtime's own stdio never reaches it, and
// a process it leaves behind holding them cannot make the runtime wait. A hook that outlives its
// `timeout` is killed and has failed; when a hook ends, whatever is left of its process group is
// killed too. Which stage runs where and when is the lifecycle's business (lib/lifecycle/).
import { closeSync, constants as fsc, readFileSync, writeSync } from 'node:fs';
import { kill as killPid, memfdCreate, tryReap, type ExitStatus } from '../../bindings/libc.js';
import { HookOutput } from './output.js';
import { O } from '../../bindings/constants.js';
import { OciError } from '../errors.js';
import { host } from '../host/host.js';
import { launch, type ChildFile } from '../lifecycle/launch.js';
import { isSameLiveProcess } from '../lifecycle/process-info.js';
import { childFds } from '../protocol/child-fds.js';
import type { Hook, Hooks, LinuxNamespaceType, Process, State } from '../spec/index.js';
import type { CompiledSeccomp } from '../seccomp/compile.js';

export type HookStage = keyof Hooks & ('prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop');

/** The stages whose hooks run in the container's namespaces (all others: the runtime's). */
const IN_CONTAINER: ReadonlySet<HookStage> = new Set(['createContainer', 'startContainer']);

const NS_FILES: Record<LinuxNamespaceType, string> = {
  pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time',
};

/** Where a container-namespace hook runs: the container process and the namespaces it has. */
export interface HookContainer {
  pid: number;
  /**
   * The recorded start time of `pid` when it is not our own unreaped child: the namespaces and
   * root opened through /proc/<pid> are used only if that process is still the one recorded.
   */
  startTime?: number;
  namespaces: readonly LinuxNamespaceType[];
  /**
   * startContainer: the hook's binary comes from the container's rootfs, so it runs as runc runs
   * it, with the container process's user, capabilities, no_new_privs and seccomp filter.
   */
  process?: Process;
  seccomp?: CompiledSeccomp;
  /**
   * startContainer: the container's cgroup directories, joined first, so that the container's
   * binary is held by its limits (pids, memory, devices) as the container's processes are.
   */
  cgroupDirs?: readonly string[];
  /** The container's state, for a seccomp agent the filter notifies. */
  state?: State;
}

/** A hook that failed: the error names the stage, the index and the path, and says why. */
export class HookError extends OciError {
  constructor(
    readonly stage: HookStage,
    message: string,
  ) {
    super('ERR_CONTAINER_INIT', message);
  }
}


/**
 * Run the hooks of `stage` in order, each with `state` on stdin; the first failure stops the
 * list and is thrown as a HookError.
 */
export async function runHooks(stage: HookStage, hooks: readonly Hook[] | undefined, state: State, how: HowToRun): Promise<void> {
  for (let i = 0; i < (hooks ?? []).length; i++) await runHook(stage, i, hooks![i], state, how);
}

export interface HowToRun {
  /** Wait in blocking system calls (the CLI), as the runtime does. */
  blocking: boolean;
  /** For createContainer and startContainer hooks. */
  container?: HookContainer;
}

/** poststop: a failing hook is a warning, and the rest still run (runtime.md lifecycle step 13). */
export async function runHooksWarning(stage: HookStage, hooks: readonly Hook[] | undefined, state: State, warn: (m: string) => void, blocking: boolean): Promise<void> {
  for (let i = 0; i < (hooks ?? []).length; i++) {
    try {
      await runHook(stage, i, hooks![i], state, { blocking });
    } catch (err) {
      warn((err as Error).message);
    }
  }
}

async function runHook(stage: HookStage, index: number, hook: Hook, state: State, how: HowToRun): Promise<void> {
  const { container } = how;
  const name = `${stage} hook ${index} (${hook.path})`;
  const inContainer = IN_CONTAINER.has(stage);
  if (inContainer && !container) throw new HookError(stage, `${name}: the container process is needed to run it in the container's namespaces`);
  const stdin = memfdCreate('ocirun-hook-state');
  const output = new HookOutput();
  try {
    // At offset 0 (pwrite): the hook reads its stdin from the start.
    const json = Buffer.from(JSON.stringify(inContainer ? { ...state, pid: pidInContainer(container!.pid) } : state));
    writeSync(stdin, json, 0, json.length, 0);
    const cgroupDirs = (inContainer && container!.cgroupDirs) || [];
    const fds = childFds(0, inContainer ? container!.namespaces : [], 0, cgroupDirs.length);
    const open: ChildFile[] = inContainer ? container!.namespaces.map((type) => ({ path: `/proc/${container!.pid}/ns/${NS_FILES[type]}`, flags: fsc.O_RDONLY, to: fds.join[type]! })) : [];
    const enterRoot = stage === 'startContainer';
    if (enterRoot) open.push({ path: `/proc/${container!.pid}/root`, flags: O.PATH | O.DIRECTORY, to: fds.root });
    cgroupDirs.forEach((dir, i) => open.push({ path: dir, flags: O.PATH | O.DIRECTORY, to: fds.cgroups[i]! }));
    // The planner (and its syscall tables) only when a hook runs: not on a plain create's path.
    const { planHookProcess } = await import('./program.js');
    const plan = planHookProcess({ hook, host: host(), syncFd: fds.sync, joinFds: fds.join, rootFd: enterRoot ? fds.root : undefined, cgroupFds: fds.cgroups, name, as: container?.process, seccomp: container?.seccomp,
      // Hooks of the runtime namespace run in the bundle directory, as runc's do.
      cwd: inContainer ? undefined : { path: state.bundle, mayBeGone: stage === 'poststop' } });
    let pid: number;
    try {
      pid = await launch(
        {
          program: plan.program.bytes,
          plan: { namespaces: plan.namespaces, descriptions: async () => plan.program.descriptions },
          fds,
          stdio: [stdin, output.writer, output.writer],
          spawned: () => output.handedOver(),
          extra: [],
          open,
          // The fds are the container's only if its process still is the recorded one.
          check:
            container?.startTime === undefined
              ? undefined
              : () => {
                  if (!isSameLiveProcess(container.pid, container.startTime!)) throw new OciError('ERR_CONTAINER_NOT_RUNNING', `the container process ${container.pid} is gone`);
                },
        },
        how.blocking,
        { listener: container?.seccomp?.listener, state: () => container!.state! },
        'exec',
      );
    } catch (err) {
      const message = (err as Error).message;
      throw new HookError(stage, message.includes(name) ? message : `${name}: ${message}`);
    }
    const status = await waitHook(pid, hook.timeout, () => output.drain());
    if (status === 'timeout') throw new HookError(stage, `${name} did not finish within its timeout of ${hook.timeout} s and was killed${output.tail()}`);
    if (status.code !== 0) {
      const how = status.signal !== undefined ? `was killed by signal ${status.signal}` : `exited with status ${status.code}`;
      throw new HookError(stage, `${name} ${how}${output.tail()}`);
    }
  } finally {
    closeSync(stdin);
    output.close();
  }
}

/**
 * Wait for the hook (our child) to exit, or its timeout; then kill what is left of its process
 * group, while the hook's pid still holds the group id (it is reaped only after), and reap it.
 */
async function waitHook(pid: number, timeoutSeconds: number | undefined, drain: () => number): Promise<ExitStatus | 'timeout'> {
  const deadline = timeoutSeconds ? Date.now() + timeoutSeconds * 1000 : Infinity;
  let timedOut = false;
  // Hooks are short: a quick look first, then a few milliseconds apart.
  // Its output drained meanwhile: a hook blocked on a full pipe would never exit.
  let got = 0;
  for (let delay = 1; ((got = drain()), !tryReap(pid, { keep: true })); delay = got ? 1 : Math.min(delay * 2, 20)) {
    if (Date.now() >= deadline) {
      timedOut = true;
      break;
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  for (const target of [-pid, pid]) {
    try {
      killPid(target, 9);
    } catch {
      // the group is empty, or the hook has exited
    }
  }
  for (;;) {
    const status = tryReap(pid);
    if (status) return timedOut ? 'timeout' : status;
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** The pid of a process in the innermost pid namespace it lives in (NSpid's last field). */
function pidInContainer(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    const ids = line?.slice(6).trim().split(/\s+/).map(Number) ?? [];
    return ids.length ? ids[ids.length - 1] : pid;
  } catch {
    return pid;
  }
}

