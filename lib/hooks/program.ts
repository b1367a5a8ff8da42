// The program that starts one hook: for a hook of the container namespace, join the container's
// namespaces (and, for startContainer, enter its root, where the hook's path resolves, and take
// the container process's credentials and seccomp filter: its binary is the container's); then a
// process group of its own (so what it leaves behind can be killed with it), stdio as the runtime
// gave it, every other fd closed, and execve with the hook's args and only its env.
import { AT, ERRNO, PR } from '../../bindings/constants.js';
import type { EncodedProgram } from '../../bindings/program.js';
import { PlanContext, type HostFacts } from '../plan/context.js';
import { planNamespaces, type NamespacePhase } from '../plan/namespaces.js';
import { planFds } from '../plan/process.js';
import type { Hook, LinuxNamespaceType, Process } from '../spec/index.js';
import type { CompiledSeccomp } from '../seccomp/compile.js';
import { planSeccomp, seccompBeforeCredentials } from '../plan/seccomp.js';
import { planCredentials } from '../plan/process.js';
import { planOpenCwd } from '../plan/cwd.js';
import { planJoinCgroups } from '../plan/cgroup-joins.js';

export interface HookPlanInput {
  hook: Hook;
  host: HostFacts;
  syncFd: number;
  /** Fds on the container process's namespace files: the hook runs in them. Empty: the runtime's. */
  joinFds: Partial<Record<LinuxNamespaceType, number>>;
  /** O_PATH fd on the container's root, entered after the joins (startContainer). */
  rootFd?: number;
  /** O_PATH fds on the container's cgroup directories, joined before anything else (startContainer). */
  cgroupFds?: readonly number[];
  /** What the hook is, for descriptions (`createRuntime hook 0`). */
  name: string;
  /** Run with this process's credentials (user, capabilities, no_new_privs, cwd), as runc runs startContainer hooks. */
  as?: Process;
  /** ...and under this seccomp filter. */
  seccomp?: CompiledSeccomp;
  /** A runtime-namespace hook's working directory: the bundle, as runc runs them. */
  cwd?: { path: string; mayBeGone: boolean };
}

export function planHookProcess(input: HookPlanInput): { program: EncodedProgram; namespaces: NamespacePhase } {
  const { hook, name } = input;
  const ctx = new PlanContext({ ociVersion: '1.3.0' }, input.host);
  const b = ctx.b;
  b.syscall('prctl', [PR.SET_DUMPABLE, 0, 0, 0, 0], `${name}: make the process non-dumpable until exec`);
  planJoinCgroups(ctx, (input.cgroupFds ?? []).map((fd) => ({ fd })));
  const requests = (Object.entries(input.joinFds) as [LinuxNamespaceType, number][]).map(([type, fd]) => ({ type, joinFd: fd }));
  const namespaces = planNamespaces(ctx, requests, input.syncFd);
  if (input.rootFd !== undefined) {
    b.syscall('fchdir', [input.rootFd], `${name}: chdir to the container's root`);
    b.syscall('chroot', [ctx.str('.')], `${name}: chroot into the container's root`);
  }
  b.syscall('setpgid', [0, 0], `${name}: a process group of its own`);
  if (input.cwd) {
    // poststop runs at delete, when the bundle may already have been removed: the runtime's cwd then.
    b.syscall('chdir', [ctx.str(input.cwd.path)], `${name}: chdir to the bundle ${input.cwd.path}`, input.cwd.mayBeGone ? { tolerate: [ERRNO.ENOENT, ERRNO.ENOTDIR] } : {});
  }
  if (input.as) {
    if (input.rootFd === undefined) throw new Error(`planner: ${name} runs as the container process but outside its root`);
    // The process's cwd, resolved inside the root as the container process's is (lib/plan/cwd.ts).
    planOpenCwd(ctx, AT.FDCWD, input.as.cwd || '/', Math.max(input.syncFd, input.rootFd, ...Object.values(input.joinFds), ...(input.cgroupFds ?? [])) + 1);
    const early = input.seccomp && seccompBeforeCredentials(input.as.noNewPrivileges);
    if (early) planSeccomp(ctx, input.seccomp!, input.syncFd);
    planCredentials(ctx, input.as);
    if (input.seccomp && !early) planSeccomp(ctx, input.seccomp, input.syncFd);
  }
  planFds(ctx, 0);
  const argv = b.pointerArray((hook.args ?? [hook.path]).map((a) => b.string(a)));
  const envp = b.pointerArray((hook.env ?? []).map((e) => b.string(e)));
  b.syscall('execve', [ctx.str(hook.path), argv, envp], `${name}: exec ${hook.path}`);
  return { program: b.encode(input.syncFd), namespaces };
}
