// A `cgroup` mount. On a cgroup v2 host it is cgroup2 (from the root of the hierarchy without a
// cgroup namespace, as runc mounts it). On a v1 or hybrid host it is, as runc lays it out, a tmpfs
// holding one mount per hierarchy, whose root is the container's own cgroup: with a cgroup
// namespace because the namespace's root is that cgroup; without one because the mounts are made
// early, in a cgroup namespace entered just for them (`planOwnCgroupTrees`), where runc binds the
// container's cgroup directories. Either way the container sees its own cgroup, never its
// parents or its siblings.
import { AT, CLONE, FSCONFIG, FSMOUNT_CLOEXEC, FSOPEN_CLOEXEC, MOUNT_ATTR, MOVE_MOUNT, O, OPEN_TREE } from '../../bindings/constants.js';
import type { Reg } from '../../bindings/program.js';
import { mountAttr, MOUNT_ATTR_SIZE } from '../../bindings/structs.js';
import type { CgroupHierarchy } from '../host/host.js';
import type { Mount, Spec } from '../spec/index.js';
import type { PlanContext } from './context.js';
import { parseMountOptions, type ParsedMountOptions } from './mount-options.js';
import { attach, describeAttr, planBindHost, planDetachedFilesystem, planFilesystem, type MountPlanOptions } from './mounts.js';

/** Detached cgroup mounts rooted at the container's cgroups: by mount index, then hierarchy name. */
export type OwnCgroupTrees = Map<number, Map<string, Reg>>;

/**
 * Without a cgroup namespace, on a v1 or hybrid host: once the process is in its cgroups (its
 * first ops), mount each hierarchy inside a cgroup namespace of its own, whose root is therefore
 * the container's cgroup, then go back to the runtime's cgroup namespace (the container has none).
 * The mounts stay detached until `planCgroup` attaches them. Before any user namespace is made or
 * joined: v1 hierarchies cannot be mounted from one, and the way back needs the runtime's rights.
 */
export function planOwnCgroupTrees(ctx: PlanContext, spec: Spec, cgroups: { unifiedOnly: boolean; hierarchies: CgroupHierarchy[] }): OwnCgroupTrees {
  const trees: OwnCgroupTrees = new Map();
  if (cgroups.unifiedOnly || !cgroups.hierarchies.length) return trees;
  if ((spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup')) return trees;
  const mounts = (spec.mounts ?? []).map((m, i) => [m, i] as const).filter(([m, i]) => m.type === 'cgroup' && !parseMountOptions(m.type, m.options, `mounts[${i}] (${m.destination})`).bind);
  if (!mounts.length) return trees;
  const b = ctx.b;
  const runtimeNs = ctx.regs.tmp;
  b.syscall('openat', [AT.FDCWD, ctx.str('/proc/self/ns/cgroup'), O.RDONLY | O.CLOEXEC, 0], "cgroup mounts: open the runtime's cgroup namespace, to come back to", { save: runtimeNs });
  b.syscall('unshare', [CLONE.NEWCGROUP], "cgroup mounts: a cgroup namespace whose root is the container's cgroup, for the mounts only");
  for (const [mount, index] of mounts) {
    const o = parseMountOptions(mount.type, mount.options, `mounts[${index}] (${mount.destination})`);
    const byName = new Map<string, Reg>();
    for (const h of cgroups.hierarchies) {
      const tree = b.register();
      planHierarchyMount(ctx, mount, o, h, `mount ${h.version === 2 ? 'cgroup2' : 'cgroup'} on ${mount.destination.replace(/\/+$/, '')}/${h.name}`, tree);
      byName.set(h.name, tree);
    }
    trees.set(index, byName);
  }
  b.syscall('setns', [runtimeNs, CLONE.NEWCGROUP], "cgroup mounts: back to the runtime's cgroup namespace (the container has none of its own)");
  b.syscall('close', [runtimeNs], "cgroup mounts: close the runtime's cgroup namespace");
  return trees;
}

/** One hierarchy, fresh, detached in `tree`, with the mount's attributes. */
function planHierarchyMount(ctx: PlanContext, mount: Mount, o: ParsedMountOptions, h: CgroupHierarchy, what: string, tree: Reg): void {
  const b = ctx.b;
  const { fs } = ctx.regs;
  b.syscall('fsopen', [ctx.str(h.version === 2 ? 'cgroup2' : 'cgroup'), FSOPEN_CLOEXEC], `${what}: fsopen`, { save: fs });
  b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str('source'), ctx.str(mount.source ?? 'cgroup'), 0], `${what}: set source`);
  for (const opt of h.version === 2 ? [] : h.options) {
    const eq = opt.indexOf('=');
    if (eq < 0) b.syscall('fsconfig', [fs, FSCONFIG.SET_FLAG, ctx.str(opt), 0, 0], `${what}: option ${opt}`);
    else b.syscall('fsconfig', [fs, FSCONFIG.SET_STRING, ctx.str(opt.slice(0, eq)), ctx.str(opt.slice(eq + 1)), 0], `${what}: option ${opt}`);
  }
  b.syscall('fsconfig', [fs, FSCONFIG.CMD_CREATE, 0, 0, 0], `${what}: create`);
  b.syscall('fsmount', [fs, FSMOUNT_CLOEXEC, o.attrSet | o.recAttrSet], `${what}: fsmount`, { save: tree });
}

export function planCgroup(ctx: PlanContext, mount: Mount, o: ParsedMountOptions, opts: MountPlanOptions, own?: Map<string, Reg>): void {
  const b = ctx.b;
  const { cgroups } = opts;
  if (cgroups.unifiedOnly) {
    if (opts.userns) return planBindHost(ctx, '/sys/fs/cgroup', mount.destination, o);
    return planFilesystem(ctx, 'cgroup2', mount.source, mount.destination, { ...o, params: [] });
  }
  const readOnly = Boolean((o.attrSet | o.recAttrSet) & MOUNT_ATTR.RDONLY);
  const base = mount.destination.replace(/\/+$/, '');
  const tmpfsFd = b.register();
  const tmpfsOptions: ParsedMountOptions = { ...o, attrSet: o.attrSet & ~MOUNT_ATTR.RDONLY, recAttrSet: o.recAttrSet & ~MOUNT_ATTR.RDONLY, params: [['mode', '755']] };
  // Into a detached root the tmpfs goes last, complete and read-only: only a detached tree's
  // root takes attributes there.
  if (ctx.detachedRoot) planDetachedFilesystem(ctx, 'tmpfs', 'tmpfs', tmpfsOptions, tmpfsFd);
  else planFilesystem(ctx, 'tmpfs', 'tmpfs', base, tmpfsOptions, tmpfsFd);
  // The tmpfs is new and ours: its directories are made directly in it, no path resolution needed.
  const { tree, target } = ctx.regs;
  const set = o.attrSet | o.recAttrSet;
  for (const h of cgroups.hierarchies) {
    const type = h.version === 2 ? 'cgroup2' : 'cgroup';
    const what = `mount ${type} on ${base}/${h.name}`;
    b.syscall('mkdirat', [tmpfsFd, ctx.str(h.name), 0o755], `${what}: create the directory`);
    b.syscall('openat', [tmpfsFd, ctx.str(h.name), O.PATH | O.DIRECTORY | O.CLOEXEC | O.NOFOLLOW, 0], `${what}: open the directory`, { save: target });
    const early = own?.get(h.name);
    if (early !== undefined) {
      b.syscall('move_mount', [early, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount (the container's own cgroup)`);
    } else if (opts.userns) {
      // cgroup v1 has no user-namespace mounts: bind the host's hierarchy, as runc does.
      const host = `/sys/fs/cgroup/${h.name}`;
      b.syscall('open_tree', [AT.FDCWD, ctx.str(host), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.RECURSIVE], `${what}: open_tree ${host}`, { save: tree });
      if (set) b.syscall('mount_setattr', [tree, ctx.str(''), AT.EMPTY_PATH | AT.RECURSIVE, b.bytes(mountAttr(set, 0, 0)), MOUNT_ATTR_SIZE], `${what}: set ${describeAttr(set, 0)}`);
      b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
    } else {
      // In the container's cgroup namespace: its root is the container's cgroup.
      planHierarchyMount(ctx, mount, o, h, what, tree);
      b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
    }
  }
  // Controllers mounted together (cpu,cpuacct) get a link per name, as on the host and with runc.
  for (const h of cgroups.hierarchies) {
    if (!h.name.includes(',')) continue;
    for (const part of h.name.split(',')) {
      if (cgroups.hierarchies.some((x) => x.name === part)) continue;
      b.syscall('symlinkat', [ctx.str(h.name), tmpfsFd, ctx.str(part)], `mount cgroup on ${base}: link ${part} -> ${h.name}`);
    }
  }
  if (readOnly) {
    b.syscall('mount_setattr', [tmpfsFd, ctx.str(''), AT.EMPTY_PATH, b.bytes(mountAttr(MOUNT_ATTR.RDONLY, 0, 0)), MOUNT_ATTR_SIZE], `mount cgroup on ${base}: make the tmpfs read-only`);
  }
  if (ctx.detachedRoot) {
    ctx.resolveInRoot(ctx.regs.root, base, target, 'dir', `mount cgroup on ${base}`);
    attach(ctx, tmpfsFd, target, { ...o, attrSet: 0, attrClr: 0, recAttrSet: 0, recAttrClr: 0 }, `mount cgroup on ${base}`);
  }
}
