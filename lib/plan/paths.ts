// After pivot_root: sysctls (written through the container's own /proc), then readonlyPaths
// and maskedPaths (config-linux.md). Paths missing from the rootfs are skipped.
import { AT, ERRNO, FSCONFIG, FSMOUNT_CLOEXEC, FSOPEN_CLOEXEC, MOUNT_ATTR, MOVE_MOUNT, O, OPEN_TREE, RESOLVE, S } from '../../bindings/constants.js';
import { mountAttr, MOUNT_ATTR_SIZE, STATX } from '../../bindings/structs.js';
import type { Label } from '../../bindings/program.js';
import type { PlanContext } from './context.js';
import { relativeInRoot } from './context.js';

export function planSysctl(ctx: PlanContext, sysctl: Record<string, string> | undefined): void {
  const b = ctx.b;
  for (const [key, value] of Object.entries(sysctl ?? {})) {
    const path = `/proc/sys/${key.replace(/\./g, '/')}`;
    const fd = ctx.regs.tmp;
    b.syscall('openat2', [ctx.regs.root, ctx.str(relativeInRoot(path)), ctx.how(O.WRONLY | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_SYMLINKS), 24], `sysctl ${key}: open ${path}`, { save: fd });
    const data = Buffer.from(value);
    b.syscall('write', [fd, b.bytes(data), data.length], `sysctl ${key}=${value}: write`);
  }
}

function openExisting(ctx: PlanContext, path: string, what: string, skip: Label): void {
  ctx.b.syscall('openat2', [ctx.regs.root, ctx.str(relativeInRoot(path)), ctx.how(O.PATH | O.CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS), 24], `${what}: open ${path}`, {
    save: ctx.regs.target,
    tolerate: [ERRNO.ENOENT],
    onTolerated: skip,
  });
}

export function planReadonlyPaths(ctx: PlanContext, paths: readonly string[] | undefined): void {
  const b = ctx.b;
  const { target, tree } = ctx.regs;
  for (const path of paths ?? []) {
    const what = `readonly path ${path}`;
    const next = b.label(what);
    openExisting(ctx, path, what, next);
    b.syscall('open_tree', [target, ctx.str(''), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC | AT.EMPTY_PATH | AT.RECURSIVE], `${what}: open_tree`, { save: tree });
    b.syscall('mount_setattr', [tree, ctx.str(''), AT.EMPTY_PATH | AT.RECURSIVE, b.bytes(mountAttr(MOUNT_ATTR.RDONLY, 0, 0)), MOUNT_ATTR_SIZE], `${what}: make read-only`);
    b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
    b.place(next);
  }
}

export function planMaskedPaths(ctx: PlanContext, paths: readonly string[] | undefined): void {
  const b = ctx.b;
  const { target, tree, fs } = ctx.regs;
  for (const path of paths ?? []) {
    const what = `masked path ${path}`;
    const next = b.label(what);
    const directory = b.label(`${what} (directory)`);
    const done = b.label(`${what} (done)`);
    openExisting(ctx, path, what, next);
    const st = b.zeroed(STATX.SIZE);
    b.syscall('statx', [target, ctx.str(''), AT.EMPTY_PATH, STATX.MASK_BASIC, st], `${what}: statx`);
    b.test(st.at(STATX.MODE), 2, S.IFMT, S.IFDIR, { jump: directory }, `${what}: is it a directory?`);
    // A file is hidden behind /dev/null.
    b.syscall('open_tree', [AT.FDCWD, ctx.str('/dev/null'), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC], `${what}: open_tree /dev/null`, { save: tree });
    b.goto(done, `${what}: file done`);
    b.place(directory);
    // A directory is hidden behind an empty read-only tmpfs.
    b.syscall('fsopen', [ctx.str('tmpfs'), FSOPEN_CLOEXEC], `${what}: fsopen tmpfs`, { save: fs });
    b.syscall('fsconfig', [fs, FSCONFIG.CMD_CREATE, 0, 0, 0], `${what}: create tmpfs`);
    b.syscall('fsmount', [fs, FSMOUNT_CLOEXEC, MOUNT_ATTR.RDONLY], `${what}: fsmount`, { save: tree });
    b.place(done);
    b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
    b.place(next);
  }
}
