// The planner: compiles a validated config.json into the syscall program the native executor
// runs in the cloned child. Pure: it reads the host's facts and the bundle's files (to tell a
// file bind source from a directory), and touches nothing else, so plans are unit-testable.
import { existsFact } from '../host/facts.js';
import { hostPseudoMounts } from '../host/pseudo-mounts.js';
import { AT, O, PR } from '../../bindings/constants.js';
import type { EncodedProgram } from '../../bindings/program.js';
import { OciError } from '../errors.js';
import type { Host } from '../host/host.js';
import type { LinuxNamespaceType, Process, Spec } from '../spec/index.js';
import { PlanContext } from './context.js';
import { planOpenCwd } from './cwd.js';
import { planSecurityLabels } from './security-labels.js';
import { planDevices } from './devices.js';
import { planIdmaps } from './idmap.js';
import { planMount, planOpenBindSources, planReadOnlyLater } from './mounts.js';
import { planOwnCgroupTrees } from './cgroup-mount.js';
import { cgroupJoins, planJoinCgroups, type CgroupJoin } from './cgroup-joins.js';
import { planNamespaces, timensOffsets, type NamespacePhase, type NamespaceRequest } from './namespaces.js';
import { planMaskedPaths, planReadonlyPaths, planSysctl } from './paths.js';
import { planCredentials, planExec, planExecutableCheck, planFds, planProcessLimits, planReopenDevNull } from './process.js';
import { planDetachedRoot, planEnterRootfs, planReadonlyRoot, planRootfsPrepare, planRootPropagation, refuseWithoutMountNamespace } from './rootfs.js';
import { planSignal, planWaitForParent, SYNC_CREATED, SYNC_HOOKS } from './sync.js';
import { planSeccomp, seccompBeforeCredentials } from './seccomp.js';
import { compileSeccomp, type CompiledSeccomp } from '../seccomp/compile.js';
import { planTerminal } from './terminal.js';
import { cgroupSettings } from '../cgroups/resources.js';
import type { CgroupLayout } from '../cgroups/layout.js';
import type { CgroupSettings } from '../cgroups/settings.js';

export interface Plan {
  program: EncodedProgram;
  namespaces: NamespacePhase;
  /** The compiled linux.seccomp filter, in the program too (kept for `exec`). */
  seccomp?: CompiledSeccomp;
  /** What linux.resources writes into the container's cgroups (the runtime writes it at create). */
  cgroup: CgroupSettings;
}

export interface ContainerPlanInput {
  spec: Spec;
  bundleDir: string;
  /** Absolute path of the rootfs. */
  rootfs: string;
  host: Host;
  /** The child's end of the sync socket. */
  syncFd: number;
  /** An O_PATH fd on the state directory holding exec.fifo; undefined: run at once, no fifo. */
  fifoDirFd?: number;
  /** Fds the runtime opened on `linux.namespaces[].path`. */
  joinFds: Partial<Record<LinuxNamespaceType, number>>;
  /** Fds on the user namespaces the runtime made for the idmapped mounts' mappings (lib/plan/idmap.ts). */
  idmapFds?: readonly number[];
  /** Rootless mode (lib/host/rootless.ts): nothing before the user namespace needs a capability. */
  rootless?: boolean;
  /** The console socket the pty master is sent over (process.terminal). */
  consoleFd?: number;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** The cgroup hierarchies the container joins, each through `cgroupFds` (rootless: the delegated ones). */
  cgroupLayout?: CgroupLayout;
  /** O_PATH fds on the container's cgroup directory in each hierarchy (lib/protocol/child-fds.ts). */
  cgroupFds?: number[];
  warn?: (message: string) => void;
}

const PERSONALITY_DOMAIN: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function planContainer(input: ContainerPlanInput): Plan {
  const { spec } = input;
  const proc = spec.process;
  if (!proc) throw new OciError('ERR_INVALID_CONFIG', 'config.json: process is required to create a container');
  const linux = spec.linux ?? {};
  const warn = input.warn ?? (() => {});
  refuseUnsupported(spec, warn);
  const layout: CgroupLayout = input.cgroupLayout ?? { mode: 'none', hierarchies: [] };
  // Rootless, as runc: no device cgroup (it needs root; the devices are the host's, bound in
  // with the host's permissions).
  if (input.rootless && linux.resources?.devices?.length) warn('config.json: /linux/resources/devices: not applied rootless (the device cgroup needs root); the container gets the host\'s device nodes bound in, with their host permissions');
  const cgroup = cgroupSettings(linux.resources, layout, linux.devices, { devices: !input.rootless });
  const ctx = new PlanContext(spec, { capLastCap: input.host.capLastCap });
  const b = ctx.b;

  planJoinCgroups(ctx, cgroupJoins(input.cgroupFds ?? [], layout.hierarchies, input.host.cloneIntoCgroup));
  b.syscall('prctl', [PR.SET_DUMPABLE, 0, 0, 0, 0], 'make the child non-dumpable until exec (protects the runtime binary)');
  // Devices and directories get exactly the modes config.json gives; the process's umask is set later.
  b.syscall('umask', [0], 'clear the umask while building the rootfs');

  const requests: NamespaceRequest[] = (linux.namespaces ?? []).map((ns) => ({ type: ns.type, joinFd: input.joinFds[ns.type] }));
  const userns = requests.some((r) => r.type === 'user');
  // Without a cgroup namespace: the cgroup mounts rooted at the container's cgroups, made while
  // the process is still in the runtime's namespaces (lib/plan/cgroup-mount.ts). Not rootless:
  // an unprivileged runtime can neither make that cgroup namespace nor mount v1 hierarchies, so
  // the mount binds the host's hierarchies from inside the user namespace, as before.
  const ownCgroups = input.cgroupFds?.length && !input.rootless ? planOwnCgroupTrees(ctx, spec, input.host.cgroups) : undefined;
  const mountOpts = { bundleDir: input.bundleDir, cgroups: input.host.cgroups, userns, warn, ownCgroups };
  // With a user namespace the bind sources are opened first, with the runtime's credentials;
  // idmapped ones always are (only the runtime's user namespace may idmap a mount).
  const idmaps = planIdmaps(spec);
  if (input.rootless) refuseRootless(spec, userns, idmaps.mappings.length > 0);
  if (idmaps.mappings.length > (input.idmapFds?.length ?? 0)) throw new Error('planContainer: an idmapped mount needs idmapFds');
  const opened = planOpenBindSources(ctx, spec.mounts ?? [], mountOpts, idmaps, input.idmapFds ?? [], userns && !input.rootless);
  // The mappings' user namespaces did their work on the detached trees: not held while the
  // container process waits at the start gate, where its neighbours could reach them.
  for (const fd of (input.idmapFds ?? []).slice(0, idmaps.mappings.length)) b.syscall('close', [fd], `close the user namespace of idmapped mounts (fd ${fd})`);
  const phase = planNamespaces(ctx, requests, input.syncFd, {
    timeOffsets: timensOffsets(linux.timeOffsets) !== '',
    oomScoreAdj: proc.oomScoreAdj !== undefined,
    unprivilegedParent: input.rootless,
  });
  const mountns = requests.some((r) => r.type === 'mount');
  if (mountns) planRootfsPrepare(ctx, input.rootfs, linux.rootfsPropagation);
  else {
    refuseWithoutMountNamespace(spec, { userns, noPivot: Boolean(input.noPivot) });
    planDetachedRoot(ctx, input.rootfs);
  }
  (spec.mounts ?? []).forEach((m, i) => planMount(ctx, m, i, mountOpts, opened));
  planDevices(ctx, linux.devices, userns);
  // runc creates a missing cwd; so do we.
  ctx.resolveInRoot(ctx.regs.root, proc.cwd || '/', ctx.regs.target, 'dir', `cwd ${proc.cwd}`);

  if (spec.hostname !== undefined) {
    const h = Buffer.from(spec.hostname);
    b.syscall('sethostname', [b.bytes(h), h.length], `set hostname ${spec.hostname}`);
  }
  if (spec.domainname !== undefined) {
    const d = Buffer.from(spec.domainname);
    b.syscall('setdomainname', [b.bytes(d), d.length], `set domainname ${spec.domainname}`);
  }

  // prestart, createRuntime and createContainer hooks: after the mounts, before pivot_root.
  if (hasCreateHooks(spec)) {
    planSignal(ctx, input.syncFd, SYNC_HOOKS, 'tell the runtime to run the prestart, createRuntime and createContainer hooks');
    planWaitForParent(ctx, input.syncFd, 'wait for the prestart, createRuntime and createContainer hooks');
  }
  planEnterRootfs(ctx, input.rootfs, mountns ? (input.noPivot ? 'move' : 'pivot') : 'chroot', mountns && input.noPivot ? hostPseudoMounts(input.rootfs) : []);
  if (mountns) planRootPropagation(ctx, linux.rootfsPropagation);
  // After every mount (the container's devpts is in place), before the rootfs turns read-only.
  if (proc.terminal) planTerminal(ctx, { consoleFd: consoleFdOf(input.consoleFd), consoleSize: proc.consoleSize, uid: proc.user?.uid ?? 0, mountConsole: true });
  else planReopenDevNull(ctx);
  planSysctl(ctx, linux.sysctl);
  planReadonlyPaths(ctx, linux.readonlyPaths);
  planMaskedPaths(ctx, linux.maskedPaths);
  planReadOnlyLater(ctx);
  if (spec.root?.readonly) planReadonlyRoot(ctx);

  // Opened again now that every mount is in place (a masked path may cover it), kept at the
  // first free fd.
  const firstFree = Math.max(input.syncFd, input.fifoDirFd ?? 0, input.consoleFd ?? 0, ...Object.values(input.joinFds), ...(input.idmapFds ?? [])) + 1;
  planOpenCwd(ctx, ctx.regs.root, proc.cwd || '/', firstFree);
  // The rootfs set-up leaves its fds open (all close-on-exec): one close_range here instead of a
  // close after each use, ~120 system calls fewer. Before the rlimits, which may lower NOFILE.
  b.syscall('close_range', [firstFree + 1, 0xffffffff, 0], `close the fds the rootfs set-up opened (from ${firstFree + 1} up)`);

  planProcessLimits(ctx, proc, {
    keyring: !input.noNewKeyring,
    preserveFds: input.preserveFds ?? 0,
  });
  if (linux.personality) planPersonality(ctx, linux.personality.domain ?? 'LINUX');
  planSecurityLabels(ctx, proc);
  const seccomp = linux.seccomp ? compileSeccomp(linux.seccomp) : undefined;
  planProcessTail(ctx, proc, seccomp, input.syncFd, input.preserveFds ?? 0, Boolean(input.rootless));
  planSignal(ctx, input.syncFd, SYNC_CREATED, 'tell the runtime the container is created');
  if (input.fifoDirFd !== undefined) planWaitForStart(ctx, input.fifoDirFd);
  planExec(ctx, proc);

  return { program: b.encode(input.syncFd), namespaces: phase, cgroup, ...(seccomp && { seccomp }) };
}

/** Credentials, fds and the executable check, with the seccomp filter where runc puts it. */
function planProcessTail(ctx: PlanContext, proc: Process, seccomp: CompiledSeccomp | undefined, syncFd: number, preserveFds: number, rootless = false): void {
  const early = seccomp && seccompBeforeCredentials(proc.noNewPrivileges);
  if (early) planSeccomp(ctx, seccomp, syncFd);
  planCredentials(ctx, proc, { setgroupsMayBeDenied: rootless });
  planFds(ctx, preserveFds);
  planExecutableCheck(ctx, proc);
  if (seccomp && !early) planSeccomp(ctx, seccomp, syncFd);
}

export interface ExecPlanInput {
  process: Process;
  host: Host;
  syncFd: number;
  /** Fds on /proc/<pid>/ns/<type> of the container process, for each namespace it has of its own. */
  joinFds: Partial<Record<LinuxNamespaceType, number>>;
  /** O_PATH fd on /proc/<pid>/root: the container's root, entered after joining its mount namespace. */
  rootFd: number;
  /** The console socket the pty master is sent over (process.terminal). */
  consoleFd?: number;
  preserveFds?: number;
  /** The container's seccomp filter: the process runs under it too. */
  seccomp?: CompiledSeccomp;
  /** How the process joins the container's cgroups (cgroupJoins): first, before anything else. */
  cgroupJoins?: CgroupJoin[];
}

/** `exec`: join every namespace of a running container, then run the process as `create` does. */
export function planExecProcess(input: ExecPlanInput): Plan {
  const proc = input.process;
  const ctx = new PlanContext({ ociVersion: '1.3.0', process: proc }, { capLastCap: input.host.capLastCap });
  const b = ctx.b;
  planJoinCgroups(ctx, input.cgroupJoins ?? []);
  b.syscall('prctl', [PR.SET_DUMPABLE, 0, 0, 0, 0], 'make the child non-dumpable until exec');
  const requests = (Object.entries(input.joinFds) as [LinuxNamespaceType, number][]).map(([type, fd]) => ({ type, joinFd: fd }));
  // A joined pid namespace always needs the fork; planNamespaces does it when any join is given.
  const phase = planNamespaces(ctx, requests, input.syncFd);
  b.syscall('fchdir', [input.rootFd], "chdir to the container's root");
  b.syscall('chroot', [ctx.str('.')], "chroot into the container's root");
  if (proc.terminal) planTerminal(ctx, { consoleFd: consoleFdOf(input.consoleFd), consoleSize: proc.consoleSize, uid: proc.user?.uid ?? 0, mountConsole: false });
  else planReopenDevNull(ctx);
  // The cwd (--cwd too) resolved inside the root, as create does: never a magic link such as
  // /proc/self/fd/N. Every fd above the runtime's was closed by the spawn.
  const firstFree = Math.max(input.syncFd, input.rootFd, input.consoleFd ?? 0, ...Object.values(input.joinFds)) + 1;
  planOpenCwd(ctx, AT.FDCWD, proc.cwd || '/', firstFree);
  b.syscall('close', [input.rootFd], "close the container's root fd");
  planProcessLimits(ctx, proc, { preserveFds: input.preserveFds ?? 0 });
  planSecurityLabels(ctx, proc);
  planProcessTail(ctx, proc, input.seccomp, input.syncFd, input.preserveFds ?? 0);
  planExec(ctx, proc);
  return { program: b.encode(input.syncFd), namespaces: phase, cgroup: { writes: [], enable: [] } };
}

/** Hooks that run during create, which then stops for them before pivot_root. */
export function hasCreateHooks(spec: Spec): boolean {
  const h = spec.hooks ?? {};
  return Boolean(h.prestart?.length || h.createRuntime?.length || h.createContainer?.length);
}

function consoleFdOf(fd: number | undefined): number {
  if (fd === undefined) throw new OciError('ERR_INVALID_ARGUMENT', 'process.terminal: the runtime gave no console socket to send the pty master to');
  return fd;
}

/**
 * Features this build does not implement yet. Anything that protects the container or that the
 * spec says MUST run is refused rather than ignored.
 */
function refuseUnsupported(spec: Spec, warn: (message: string) => void): void {
  const notYet = (what: string) => {
    throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${what} is not supported by ocirun yet`);
  };
  const linux = spec.linux ?? {};
  if (linux.intelRdt) notYet('/linux/intelRdt');
  if (linux.netDevices && Object.keys(linux.netDevices).length) notYet('/linux/netDevices');
  if (linux.memoryPolicy) notYet('/linux/memoryPolicy');
  if (linux.mountLabel) notYet('/linux/mountLabel (SELinux)');
  if (spec.process?.execCPUAffinity) notYet('/process/execCPUAffinity');
}

/** What cannot work without root, refused naming what needs it (runc refuses the same). */
function refuseRootless(spec: Spec, userns: boolean, idmapped: boolean): void {
  const needsRoot = (what: string) => {
    throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${what} needs root (ocirun runs rootless: not uid 0, or --rootless true)`);
  };
  if (!userns) needsRoot('a container without a user namespace (/linux/namespaces has no "user")');
  if (idmapped) needsRoot('an idmapped mount (mount_setattr MOUNT_ATTR_IDMAP in the initial user namespace)');
  for (const ns of spec.linux?.namespaces ?? []) {
    if (ns.type === 'user' && ns.path) return;
  }
  if (!spec.linux?.uidMappings?.length || !spec.linux?.gidMappings?.length) needsRoot('a user namespace without linux.uidMappings/gidMappings');
}

/** Block on the exec fifo until `start` opens it for reading, then tell `start` we are going. */
function planWaitForStart(ctx: PlanContext, fifoDirFd: number): void {
  const b = ctx.b;
  const fd = ctx.regs.fifo;
  b.syscall('openat', [fifoDirFd, ctx.str('exec.fifo'), O.WRONLY | O.CLOEXEC, 0], 'wait for start: open exec.fifo', { save: fd });
  b.syscall('write', [fd, ctx.str('0'), 1], 'wait for start: write exec.fifo');
  b.syscall('close', [fd], 'close exec.fifo');
  // No fd on a host directory may be open while execve walks the program's path.
  b.syscall('close', [fifoDirFd], "close the state directory's fd");
}

function planPersonality(ctx: PlanContext, domain: string): void {
  const value = PERSONALITY_DOMAIN[domain];
  if (value === undefined) throw new OciError('ERR_INVALID_CONFIG', `linux.personality.domain: unknown domain "${domain}"`);
  ctx.b.syscall('personality', [value], `set personality ${domain}`);
}
