// /dev: the default devices of config-linux.md ("Default Devices"), linux.devices, and the
// symlinks of runtime-linux.md (/dev/fd, /dev/std{in,out,err}) plus /dev/ptmx → pts/ptmx.
// Devices are made with mknod; in a user namespace, where mknod is not allowed, the host's
// device is bind-mounted instead (as runc does).
import { dirname, posix } from 'node:path';
import { AT, ERRNO, MOVE_MOUNT, OPEN_TREE, S } from '../../bindings/constants.js';
import { encodeDev, STATX } from '../../bindings/structs.js';
import { OciError } from '../errors.js';
import type { LinuxDevice } from '../spec/index.js';
import type { PlanContext } from './context.js';

export const DEFAULT_DEVICES: readonly LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const SYMLINKS: readonly [string, string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

const TYPE_BITS: Record<string, number> = { c: S.IFCHR, u: S.IFCHR, b: S.IFBLK, p: S.IFIFO };

/** Config devices override defaults at the same path. */
export function devicesToCreate(configured: readonly LinuxDevice[] = []): LinuxDevice[] {
  const paths = new Set(configured.map((d) => posix.normalize(d.path)));
  return [...DEFAULT_DEVICES.filter((d) => !paths.has(d.path)), ...configured];
}

export function planDevices(ctx: PlanContext, configured: readonly LinuxDevice[] | undefined, bindFromHost: boolean): void {
  const devices = devicesToCreate(configured);
  devices.forEach((d, i) => (bindFromHost ? planBindDevice(ctx, d) : planMknod(ctx, d, i)));
  planDevSymlinks(ctx);
}

function planMknod(ctx: PlanContext, d: LinuxDevice, index: number): void {
  const b = ctx.b;
  const type = TYPE_BITS[d.type];
  if (type === undefined) throw new OciError('ERR_INVALID_CONFIG', `linux.devices[${index}] (${d.path}): unknown device type "${d.type}"`);
  const major = d.major ?? 0;
  const minor = d.minor ?? 0;
  const mode = d.fileMode ?? 0o666;
  const name = posix.basename(d.path);
  const dir = ctx.regs.target;
  const what = `device ${d.path} (${d.type} ${major}:${minor})`;
  ctx.resolveInRoot(ctx.regs.root, dirname(d.path), dir, 'dir', what);
  b.syscall('mknodat', [dir, ctx.str(name), type | (mode & 0o7777), type === S.IFIFO ? 0 : encodeDev(major, minor)], `${what}: mknod`, {
    tolerate: [ERRNO.EEXIST],
  });
  // An existing file must be the same device (config-linux.md: "the runtime MUST generate an error").
  const st = b.zeroed(STATX.SIZE);
  b.syscall('statx', [dir, ctx.str(name), AT.SYMLINK_NOFOLLOW, STATX.MASK_BASIC, st], `${what}: statx`);
  b.test(st.at(STATX.MODE), 2, S.IFMT, type, { failErrno: ERRNO.EEXIST }, `${d.path} exists and is not a ${d.type} device`, true);
  if (type !== S.IFIFO) {
    b.test(st.at(STATX.RDEV_MAJOR), 4, 0xffffffff, major, { failErrno: ERRNO.EEXIST }, `${d.path} exists with another major number than ${major}`, true);
    b.test(st.at(STATX.RDEV_MINOR), 4, 0xffffffff, minor, { failErrno: ERRNO.EEXIST }, `${d.path} exists with another minor number than ${minor}`, true);
  }
  b.syscall('fchmodat', [dir, ctx.str(name), mode & 0o7777], `${what}: chmod ${(mode & 0o7777).toString(8)}`);
  b.syscall('fchownat', [dir, ctx.str(name), d.uid ?? 0, d.gid ?? 0, AT.SYMLINK_NOFOLLOW], `${what}: chown ${d.uid ?? 0}:${d.gid ?? 0}`);
}

function planBindDevice(ctx: PlanContext, d: LinuxDevice): void {
  const b = ctx.b;
  const { tree, target } = ctx.regs;
  const what = `device ${d.path} (bind from the host)`;
  b.syscall('open_tree', [AT.FDCWD, ctx.str(d.path), OPEN_TREE.CLONE | OPEN_TREE.CLOEXEC], `${what}: open_tree ${d.path}`, { save: tree });
  ctx.resolveInRoot(ctx.regs.root, d.path, target, 'file', what);
  b.syscall('move_mount', [tree, ctx.str(''), target, ctx.str(''), MOVE_MOUNT.F_EMPTY_PATH | MOVE_MOUNT.T_EMPTY_PATH], `${what}: move_mount`);
}

function planDevSymlinks(ctx: PlanContext): void {
  const b = ctx.b;
  const dev = ctx.regs.target;
  ctx.resolveInRoot(ctx.regs.root, '/dev', dev, 'dir', '/dev symlinks');
  for (const [name, to] of SYMLINKS) {
    b.syscall('symlinkat', [ctx.str(to), dev, ctx.str(name)], `symlink /dev/${name} → ${to}`, { tolerate: [ERRNO.EEXIST] });
  }
  // /dev/ptmx must be the devpts instance's ptmx (config-linux.md, devpts newinstance).
  b.syscall('unlinkat', [dev, ctx.str('ptmx'), 0], 'remove /dev/ptmx', { tolerate: [ERRNO.ENOENT] });
  b.syscall('symlinkat', [ctx.str('pts/ptmx'), dev, ctx.str('ptmx')], 'symlink /dev/ptmx → pts/ptmx');
}
