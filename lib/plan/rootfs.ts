// The root filesystem: make the mount tree private to the container, make the rootfs a mount
// point, and, once every mount and device is in place, pivot_root into it (or, with --no-pivot,
// MS_MOVE + chroot), then apply rootfsPropagation and root.readonly. Without a mount namespace
// the container stays in the runtime's, and its root is a detached copy of the rootfs's mount
// tree that only it holds: its mounts go there, never into the host's mount table.
import { release } from 'node:os';
import { AT, ERRNO, MNT_DETACH, MOUNT_ATTR, MOVE_MOUNT, MS, O, OPEN_TREE } from '../../bindings/constants.js';
import { mountAttr, MOUNT_ATTR_SIZE } from '../../bindings/structs.js';
import { OciError } from '../errors.js';
import type { LinuxRootfsPropagation, Spec } from '../spec/index.js';
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

/**
 * No mount namespace: the root is the rootfs's mount tree cloned by open_tree, detached (it
 * belongs to no mount namespace) and private, so nothing mounted on it reaches the runtime's
 * mount namespace and nothing is left behind when the last process using it ends. Mounting onto a
 * detached tree needs Linux 6.15.
 */
export function planDetachedRoot(ctx: PlanContext, rootfs: string): void {
  const b = ctx.b;
  const { root } = ctx.regs;
  ctx.detachedRoot = true;
  b.syscall('open_tree', [AT.FDCWD, ctx.str(rootfs), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.RECURSIVE], `no mount namespace: clone the rootfs ${rootfs} as a detached tree (open_tree)`, { save: root });
  b.syscall('mount_setattr', [root, ctx.str(''), AT.EMPTY_PATH | AT.RECURSIVE, b.bytes(mountAttr(0, 0, MS.PRIVATE)), MOUNT_ATTR_SIZE], 'no mount namespace: make the detached rootfs tree private');
}

/**
 * What a container without a mount namespace cannot have, refused naming the field. runc would
 * make the host's / rslave and mount the config's mounts in the host's mount namespace, where
 * they outlive the container; here they go to the container's detached root instead.
 */
export function refuseWithoutMountNamespace(spec: Spec, opts: { userns: boolean; noPivot: boolean }, kernel = release()): void {
  const refuse = (what: string) => {
    throw new OciError('ERR_NOT_SUPPORTED', `config.json: /linux/namespaces has no "mount" namespace: ${what}`);
  };
  if (opts.noPivot) refuse('--no-pivot needs a mount namespace of its own (as runc refuses it)');
  if (opts.userns) {
    refuse('a user namespace needs one too (mounting, even the container\'s root, needs CAP_SYS_ADMIN over the mount namespace, which the host\'s user namespace owns)');
  }
  const propagation: string | undefined = spec.linux?.rootfsPropagation;
  if (propagation && propagation !== 'private' && propagation !== 'rprivate') {
    refuse(`/linux/rootfsPropagation "${propagation}" is not possible: the container's root is a private tree detached from the host's mount table`);
  }
  const [major, minor] = kernel.split('.').map((n) => parseInt(n, 10));
  if (major < 6 || (major === 6 && minor < 15)) {
    const first = (spec.mounts ?? []).length ? '/mounts/0' : spec.linux?.maskedPaths?.length ? '/linux/maskedPaths' : spec.linux?.readonlyPaths?.length ? '/linux/readonlyPaths' : undefined;
    if (first) refuse(`${first}: mounting into the container's detached root needs Linux 6.15 (this kernel is ${kernel})`);
  }
}

/**
 * `hostPseudo` (--no-pivot): the host's full proc and sysfs mounts (lib/host/pseudo-mounts.ts),
 * detached before the move; where a user namespace forbids unmounting them (locked), covered
 * with an empty tmpfs. Either way none is fully visible in the container's mount namespace.
 */
export function planEnterRootfs(ctx: PlanContext, rootfs: string, how: 'pivot' | 'move' | 'chroot', hostPseudo: readonly string[] = []): void {
  const b = ctx.b;
  if (how === 'move') {
    for (const point of hostPseudo) {
      // Gone already (below one detached before) or no longer a mount point: nothing to hide.
      const next = b.label(`host ${point} hidden`);
      b.syscall('umount2', [ctx.str(point), MNT_DETACH], `--no-pivot: detach the host's ${point}`, { tolerate: [ERRNO.EINVAL, ERRNO.ENOENT, ERRNO.EPERM], onSuccess: next });
      b.syscall('mount', [ctx.str('tmpfs'), ctx.str(point), ctx.str('tmpfs'), MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, ctx.str('mode=000')], `--no-pivot: cover the host's ${point}`, { tolerate: [ERRNO.ENOENT] });
      b.place(next);
    }
  }
  b.syscall('fchdir', [ctx.regs.root], `chdir to the rootfs ${rootfs}`);
  if (how === 'chroot') {
    b.syscall('chroot', [ctx.str('.')], 'chroot into the rootfs (no mount namespace: pivot_root would move the host\'s root)');
  } else if (how === 'move') {
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
