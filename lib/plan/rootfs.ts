// The root filesystem: make the mount tree private to the container, make the rootfs a mount
// point, and, once every mount and device is in place, pivot_root into it (or, with --no-pivot,
// MS_MOVE + chroot), then apply rootfsPropagation and root.readonly.
import { AT, MNT_DETACH, MOUNT_ATTR, MOVE_MOUNT, MS, O, OPEN_TREE } from '../../bindings/constants.js';
import { mountAttr, MOUNT_ATTR_SIZE } from '../../bindings/structs.js';
import type { LinuxRootfsPropagation } from '../spec/index.js';
import type { PlanContext } from './context.js';

const PROPAGATION_FLAGS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Before any mount: nothing the container mounts may propagate back to the host. */
export function planRootfsPrepare(ctx: PlanContext, rootfs: string, propagation: LinuxRootfsPropagation | string | undefined): void {
  const b = ctx.b;
  const toPrivate = propagation === 'private' || propagation === 'rprivate';
  b.syscall('mount', [0, ctx.str('/'), 0, MS.REC | (toPrivate ? MS.PRIVATE : MS.SLAVE), 0], `make / ${toPrivate ? 'rprivate' : 'rslave'} in the container's mount namespace`);
  // pivot_root needs the new root to be a mount point.
  const { tree, root } = ctx.regs;
  b.syscall('open_tree', [AT.FDCWD, ctx.str(rootfs), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.RECURSIVE], `bind the rootfs ${rootfs} onto itself: open_tree`, { save: tree });
  b.syscall('move_mount', [tree, ctx.str(''), AT.FDCWD, ctx.str(rootfs), MOVE_MOUNT.F_EMPTY_PATH], `bind the rootfs ${rootfs} onto itself: move_mount`);
  b.syscall('openat', [AT.FDCWD, ctx.str(rootfs), O.PATH | O.DIRECTORY | O.CLOEXEC, 0], `open the rootfs ${rootfs}`, { save: root });
}

export function planEnterRootfs(ctx: PlanContext, rootfs: string, noPivot: boolean): void {
  const b = ctx.b;
  b.syscall('fchdir', [ctx.regs.root], `chdir to the rootfs ${rootfs}`);
  if (noPivot) {
    b.syscall('mount', [ctx.str('.'), ctx.str('/'), 0, MS.MOVE, 0], 'move the rootfs onto / (--no-pivot)');
    b.syscall('chroot', [ctx.str('.')], 'chroot into the rootfs (--no-pivot)');
  } else {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the
    // rootfs alone, with no directory needed to hold the old root.
    b.syscall('pivot_root', [ctx.str('.'), ctx.str('.')], `pivot_root into ${rootfs}`);
    b.syscall('umount2', [ctx.str('.'), MNT_DETACH], 'detach the old root');
  }
  b.syscall('chdir', [ctx.str('/')], 'chdir to /');
}

export function planRootPropagation(ctx: PlanContext, propagation: string | undefined): void {
  if (!propagation || propagation === 'slave' || propagation === 'rslave' || propagation === 'private' || propagation === 'rprivate') {
    // Already in force from planRootfsPrepare, inherited by the rootfs bind.
    if (propagation !== 'slave' && propagation !== 'private') return;
  }
  const flag = PROPAGATION_FLAGS[propagation];
  if (flag === undefined) return;
  ctx.b.syscall('mount', [0, ctx.str('/'), 0, flag, 0], `set rootfsPropagation ${propagation} on /`);
}

export function planReadonlyRoot(ctx: PlanContext): void {
  const b = ctx.b;
  b.syscall('mount_setattr', [ctx.regs.root, ctx.str(''), AT.EMPTY_PATH, b.bytes(mountAttr(MOUNT_ATTR.RDONLY, 0, 0)), MOUNT_ATTR_SIZE], 'make the root filesystem read-only (root.readonly)');
}
