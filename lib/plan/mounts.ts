// config.json `mounts`, with the new mount API: a bind is open_tree(OPEN_TREE_CLONE); a filesystem
// is fsopen/fsconfig/fsmount. Either way the detached mount gets its attributes with
// mount_setattr and is attached with move_mount onto an fd resolved inside the rootfs.
import { realpathFact, statFact } from '../host/facts.js';
import { isAbsolute, posix, resolve as resolvePath } from 'node:path';
import { AT, FSCONFIG, FSMOUNT_CLOEXEC, FSOPEN_CLOEXEC, MOUNT_ATTR, MOVE_MOUNT, O, OPEN_TREE, RESOLVE } from '../../bindings/constants.js';
import type { Reg } from '../../bindings/program.js';
import { mountAttr, MOUNT_ATTR_SIZE } from '../../bindings/structs.js';
import { OciError } from '../errors.js';
import type { CgroupHierarchy } from '../host/host.js';
import type { Mount } from '../spec/index.js';
import type { PlanContext } from './context.js';
import { relativeInRoot } from './context.js';
import { isIdmapped, type IdmapPlan } from './idmap.js';
import { parseMountOptions, type ParsedMountOptions } from './mount-options.js';
import { checkProcMount, planTargetNotOnProcfs } from './proc-mounts.js';
import { planCgroup, type OwnCgroupTrees } from './cgroup-mount.js';

export interface MountPlanOptions {
  bundleDir: string;
  cgroups: { unifiedOnly: boolean; hierarchies: CgroupHierarchy[] };
  /** In a user namespace a cgroup filesystem cannot be mounted: the host's are bound instead. */
  userns?: boolean;
  warn: (message: string) => void;
  /** cgroup mounts made early, rooted at the container's cgroups (lib/plan/cgroup-mount.ts). */
  ownCgroups?: OwnCgroupTrees;
}

export function planMount(ctx: PlanContext, mount: Mount, index: number, opts: MountPlanOptions, opened?: OpenedSources): void {
  const where = `mounts[${index}] (${mount.destination})`;
  const o = parseMountOptions(mount.type, mount.options, where);
  checkProcMount(mount, index);
  if (o.ignored.length) opts.warn(`${where}: options ${o.ignored.join(', ')} have no effect on a bind mount`);
  const early = opened?.get(index);
  if (isIdmapped(mount) && !early) throw new OciError('ERR_INVALID_CONFIG', `${where}: an idmapped mount must be a bind mount`);
  if (o.bind && (o.attrSet | o.recAttrSet) & MOUNT_ATTR.RDONLY && posix.normalize(mount.destination).replace(/\/+$/, '') === '/dev') {
    // The device nodes and the mounts below /dev go into it after it is attached.
    throw new OciError('ERR_NOT_SUPPORTED', `config.json: /mounts/${index}: a read-only bind mount on /dev cannot take the container's devices; bind it read-write, or mount a tmpfs there with "ro" (made read-only once the devices are in place)`);
  }
  if (o.bind) return planBind(ctx, mount, o, opts, index, early);
  if (mount.type === 'cgroup') return planCgroup(ctx, mount, o, opts, opts.ownCgroups?.get(index));
  if (!mount.type) throw new OciError('ERR_INVALID_CONFIG', `${where}: a mount that is not a bind mount needs a type`);
  return planFilesystem(ctx, mount.type, mount.source, mount.destination, o);
}

/** Bind sources opened early (see `planOpenBindSources`), by mount index. */
export type OpenedSources = Map<number, { tree: Reg; isDir: boolean; what: string }>;

/**
 * Open every bind source as a detached mount (open_tree(OPEN_TREE_CLONE)) with its attributes set,
 * each in a register of its own. Planned before the executor joins or creates a user namespace, as
 * runc does: the lookup runs with the runtime's credentials, so a source the mapped root cannot
 * search (a root-owned 0700 directory) still mounts; later ops only attach the trees.
 */
export function planOpenBindSources(
  ctx: PlanContext,
  mounts: readonly Mount[],
  opts: MountPlanOptions,
  idmaps: IdmapPlan,
  idmapFds: readonly number[],
  all: boolean,
): OpenedSources {
  const opened: OpenedSources = new Map();
  mounts.forEach((mount, index) => {
    const idmap = idmaps.mounts.get(index);
    if (!all && !idmap) return;
    const o = parseMountOptions(mount.type, mount.options, `mounts[${index}] (${mount.destination})`);
    if (!o.bind) return;
    const { given, source, isDir, noSymlinks } = bindSource(mount, opts, index);
    const tree = ctx.b.register();
    // An idmapped mount's errors name it by its pointer: the mapping may be what is at fault.
    // Descriptions name the source as configured (they are made again after a cache hit, when a
    // symlink in it may resolve elsewhere).
    const what = `${idmap ? `${idmap.pointer}: ` : ''}mount ${given} on ${mount.destination}`;
    openBindSource(ctx, source, noSymlinks, o, tree, what);
    if (idmap) {
      // The tree is still detached and ours (made by this process, in the runtime's user
      // namespace): the only state in which the kernel lets a mount take an idmapping.
      const fd = idmapFds[idmap.mapping];
      ctx.b.syscall(
        'mount_setattr',
        [tree, ctx.str(''), AT.EMPTY_PATH | (idmap.recursive ? AT.RECURSIVE : 0), ctx.b.bytes(mountAttr(MOUNT_ATTR.IDMAP, 0, 0, fd)), MOUNT_ATTR_SIZE],
        `${what}: ${idmap.recursive ? 'idmap the tree (ridmap)' : 'idmap the mount'} (mount_setattr MOUNT_ATTR_IDMAP)`,
      );
    }
    opened.set(index, { tree, isDir, what });
  });
  return opened;
}

/**
 * The source's real path, symlinks resolved now, when the plan is made: the executor opens it with
 * RESOLVE_NO_SYMLINKS, so a component swapped for a symlink since (a directory the container's
 * user controls, say) fails the open instead of binding wherever the symlink points. /proc paths
 * keep their magic links (a namespace file is bound as itself).
 */
function bindSource(mount: Mount, opts: MountPlanOptions, index: number): { given: string; source: string; isDir: boolean; noSymlinks: boolean } {
  const src = mount.source ?? '';
  const given = isAbsolute(src) ? src : resolvePath(opts.bundleDir, src);
  try {
    const isDir = statFact(given).isDirectory();
    if (given === '/proc' || given.startsWith('/proc/')) return { given, source: given, isDir, noSymlinks: false };
    return { given, source: realpathFact(given), isDir, noSymlinks: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new OciError('ERR_INVALID_CONFIG', `config.json: /mounts/${index}: mount ${src} to ${mount.destination}: source ${given} ${e.code === 'ENOENT' ? 'does not exist' : `cannot be read: ${e.message}`}`);
  }
}

function openBindSource(ctx: PlanContext, source: string, noSymlinks: boolean, o: ParsedMountOptions, tree: Reg, what: string): void {
  const recursive = o.recursive ? AT.RECURSIVE : 0;
  if (noSymlinks) {
    // The O_PATH fd stays open (close-on-exec) until the set-up's fds are closed together.
    const how = ctx.how(O.PATH | O.CLOEXEC, RESOLVE.NO_SYMLINKS);
    ctx.b.syscall('openat2', [AT.FDCWD, ctx.str(source), how, 24], `${what}: open the source as resolved when planned, following no symlink (ELOOP: a component became a symlink since)`, { save: tree });
    ctx.b.syscall('open_tree', [tree, ctx.str(''), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.EMPTY_PATH | recursive], `${what}: open_tree`, { save: tree });
  } else {
    ctx.b.syscall('open_tree', [AT.FDCWD, ctx.str(source), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | recursive], `${what}: open_tree`, { save: tree });
  }
  setAttributes(ctx, tree, o, what);
}

function planBind(ctx: PlanContext, mount: Mount, o: ParsedMountOptions, opts: MountPlanOptions, index: number, early?: { tree: Reg; isDir: boolean; what: string }): void {
  if (early) {
    const { what } = early;
    ctx.resolveInRoot(ctx.regs.root, mount.destination, ctx.regs.target, early.isDir ? 'dir' : 'file', what);
    planTargetNotOnProcfs(ctx, ctx.regs.target, mount.destination, what);
    attach(ctx, early.tree, ctx.regs.target, { ...o, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0 }, what);
    return;
  }
  const { given, source, isDir, noSymlinks } = bindSource(mount, opts, index);
  const { tree, target } = ctx.regs;
  const what = `mount ${given} on ${mount.destination}`;
  openBindSource(ctx, source, noSymlinks, o, tree, what);
  ctx.resolveInRoot(ctx.regs.root, mount.destination, target, isDir ? 'dir' : 'file', what);
  planTargetNotOnProcfs(ctx, target, mount.destination, what);
  attach(ctx, tree, target, o, what);
}

/** Mount a fresh filesystem of `type` at `destination` (inside the rootfs). Returns nothing; the
 * mount fd is closed. */
export function planFilesystem(
  ctx: PlanContext,
  type: string,
  source: string | undefined,
  destination: string,
  o: ParsedMountOptions,
  keepMountFd?: Reg,
): void {
  const b = ctx.b;
  const what = `mount ${type} on ${destination}`;
  const { fs, tree, target } = ctx.regs;
  const set = o.attrSet | o.recAttrSet;
  // A read-only /dev or tmpfs gets what goes below it first (runc's finalizeRootfs): its mount
  // fd is kept until planReadOnlyLater.
  const finalReadOnly = !o.copyUp && set & MOUNT_ATTR.RDONLY && (type === 'tmpfs' || posix.normalize(destination).replace(/\/+$/, '') === '/dev') && !ctx.detachedRoot;
  const mnt = keepMountFd ?? (finalReadOnly ? b.register() : tree);
  b.syscall('fsopen', [ctx.str(type), FSOPEN_CLOEXEC], `${what}: fsopen ${type}`, { save: fs });
  if (source) {
    b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str('source'), ctx.str(source), 0], `${what}: set source ${source}`);
  }
  for (const [key, value] of o.params) {
    if (value === undefined) {
      b.syscall('fsconfig', [fs, FSCONFIG.SET_FLAG, ctx.str(key), 0, 0], `${what}: option ${key}`);
    } else {
      b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str(key), ctx.str(value), 0], `${what}: option ${key}=${value}`);
    }
  }
  b.syscall('fsconfig', [fs, FSCONFIG.CMD_CREATE, 0, 0, 0], `${what}: create the filesystem`);
  // A fresh filesystem has no submounts: recursive and plain attributes mean the same here.
  // A copy-up tmpfs is made read-only only once it holds the copy.
  const readOnlyLater = (o.copyUp || finalReadOnly) && set & MOUNT_ATTR.RDONLY;
  b.syscall('fsmount', [fs, FSMOUNT_CLOEXEC, readOnlyLater ? set & ~MOUNT_ATTR.RDONLY : set], `${what}: fsmount`, { save: mnt });
  ctx.resolveInRoot(ctx.regs.root, destination, target, 'dir', what);
  planTargetNotOnProcfs(ctx, target, destination, what);
  if (o.copyUp) planCopyUp(ctx, mnt, destination, what);
  if (type === 'proc' || type === 'sysfs') {
    // Not through a symlink (rootfs/proc -> /tmp): masked and read-only paths name /proc and
    // /sys, and would miss a procfs mounted elsewhere (runc refuses the same).
    const how = ctx.how(O.PATH | O.DIRECTORY | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_SYMLINKS);
    b.syscall('openat2', [ctx.regs.root, ctx.str(relativeInRoot(destination)), how, 24], `filesystem "${type}" must be mounted on ordinary directory ${destination}`, { save: ctx.regs.parent });
  }
  attach(ctx, mnt, target, { ...o, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0 }, what);
  if (finalReadOnly) ctx.readOnlyLater.push({ mnt, what });
  else if (readOnlyLater) {
    b.syscall('mount_setattr', [mnt, ctx.str(''), AT.EMPTY_PATH, b.bytes(mountAttr(MOUNT_ATTR.RDONLY, 0, 0)), MOUNT_ATTR_SIZE], `${what}: make it read-only (after the copy)`);
  }
}

/** The mounts planFilesystem left writable until the rootfs was set up: read-only now. */
export function planReadOnlyLater(ctx: PlanContext): void {
  for (const { mnt, what } of ctx.readOnlyLater) {
    ctx.b.syscall('mount_setattr', [mnt, ctx.str(''), AT.EMPTY_PATH, ctx.b.bytes(mountAttr(MOUNT_ATTR.RDONLY, 0, 0)), MOUNT_ATTR_SIZE], `${what}: make it read-only (once what goes below it is in place)`);
  }
}

/**
 * `tmpcopyup`: fill the detached tmpfs `mnt` with what the rootfs has at `destination` (resolved in
 * the rootfs into ctx.regs.target), before it is attached there. runc mounts the tmpfs on a
 * scratch directory of the host and moves it; a detached mount needs no such directory. The copy
 * (bindings/copy-tree.h) works from these two directory fds alone and follows no symlink.
 */
function planCopyUp(ctx: PlanContext, mnt: Reg, destination: string, what: string): void {
  const b = ctx.b;
  const { target, parent: from, tmp: to } = ctx.regs;
  const dir = O.RDONLY | O.DIRECTORY | O.CLOEXEC;
  b.syscall('openat', [target, ctx.str('.'), dir, 0], `${what}: open ${destination} of the rootfs to copy it (tmpcopyup)`, { save: from });
  b.syscall('openat', [mnt, ctx.str('.'), dir, 0], `${what}: open the new tmpfs to copy into it (tmpcopyup)`, { save: to });
  b.copyTree(from, to, `${what}: copy ${destination} of the rootfs into the tmpfs (tmpcopyup)`);
}

function setAttributes(ctx: PlanContext, tree: Reg, o: ParsedMountOptions, what: string): void {
  const b = ctx.b;
  if (o.attrSet || o.attrClr) {
    b.syscall('mount_setattr', [tree, ctx.str(''), AT.EMPTY_PATH, b.bytes(mountAttr(o.attrSet, o.attrClr, 0)), MOUNT_ATTR_SIZE], `${what}: set ${describeAttr(o.attrSet, o.attrClr)}`);
  }
  if (o.recAttrSet || o.recAttrClr) {
    b.syscall('mount_setattr', [tree, ctx.str(''), AT.EMPTY_PATH | AT.RECURSIVE, b.bytes(mountAttr(o.recAttrSet, o.recAttrClr, 0)), MOUNT_ATTR_SIZE], `${what}: set ${describeAttr(o.recAttrSet, o.recAttrClr)} recursively`);
  }
}

export function attach(ctx: PlanContext, mnt: Reg, target: Reg, o: ParsedMountOptions, what: string): void {
  const b = ctx.b;
  setAttributes(ctx, mnt, o, what);
  const propagation = () =>
    b.syscall(
      'mount_setattr',
      [mnt, ctx.str(''), AT.EMPTY_PATH | (o.recursivePropagation ? AT.RECURSIVE : 0), b.bytes(mountAttr(0, 0, o.propagation)), MOUNT_ATTR_SIZE],
      `${what}: set propagation`,
    );
  if (o.propagation && ctx.detachedRoot) propagation();
  b.syscall('move_mount', [mnt, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
  if (o.propagation && !ctx.detachedRoot) propagation();
}

/** A fresh filesystem, left detached in `mnt`. */
export function planDetachedFilesystem(ctx: PlanContext, type: string, source: string, o: ParsedMountOptions, mnt: Reg): void {
  const b = ctx.b;
  const what = `mount ${type}`;
  const { fs } = ctx.regs;
  b.syscall('fsopen', [ctx.str(type), FSOPEN_CLOEXEC], `${what}: fsopen ${type}`, { save: fs });
  b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str('source'), ctx.str(source), 0], `${what}: set source ${source}`);
  for (const [key, value] of o.params) {
    if (value === undefined) b.syscall('fsconfig', [fs, FSCONFIG.SET_FLAG, ctx.str(key), 0, 0], `${what}: option ${key}`);
    else b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str(key), ctx.str(value), 0], `${what}: option ${key}=${value}`);
  }
  b.syscall('fsconfig', [fs, FSCONFIG.CMD_CREATE, 0, 0, 0], `${what}: create the filesystem`);
  b.syscall('fsmount', [fs, FSMOUNT_CLOEXEC, o.attrSet | o.recAttrSet], `${what}: fsmount`, { save: mnt });
}

/** Bind a host directory (recursively) at `destination` with the mount's attributes. */
export function planBindHost(ctx: PlanContext, source: string, destination: string, o: ParsedMountOptions): void {
  const b = ctx.b;
  const what = `mount ${source} on ${destination}`;
  const { tree, target } = ctx.regs;
  b.syscall('open_tree', [AT.FDCWD, ctx.str(source), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.RECURSIVE], `${what}: open_tree`, { save: tree });
  setAttributes(ctx, tree, { ...o, recAttrSet: o.recAttrSet | o.attrSet, recAttrClr: 0, attrSet: 0, attrClr: 0 }, what);
  ctx.resolveInRoot(ctx.regs.root, destination, target, 'dir', what);
  attach(ctx, tree, target, { ...o, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0 }, what);
}

export function describeAttr(set: number, clr: number): string {
  const names: [number, string][] = [
    [MOUNT_ATTR.RDONLY, 'ro'],
    [MOUNT_ATTR.NOSUID, 'nosuid'],
    [MOUNT_ATTR.NODEV, 'nodev'],
    [MOUNT_ATTR.NOEXEC, 'noexec'],
    [MOUNT_ATTR.NOATIME, 'noatime'],
    [MOUNT_ATTR.STRICTATIME, 'strictatime'],
    [MOUNT_ATTR.NODIRATIME, 'nodiratime'],
    [MOUNT_ATTR.NOSYMFOLLOW, 'nosymfollow'],
  ];
  const on = names.filter(([f]) => set & f).map(([, n]) => n);
  const off = names.filter(([f]) => clr & f && !(set & f) && f !== MOUNT_ATTR.NOATIME && f !== MOUNT_ATTR.STRICTATIME).map(([, n]) => `no ${n}`);
  return [...on, ...off].join(',') || 'attributes';
}
