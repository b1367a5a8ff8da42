// Encoders for the kernel structs the planner passes to syscalls.
import { LINUX_CAPABILITY_VERSION_3, SCM_RIGHTS, SOL_SOCKET } from './constants.js';
import { capabilityWords } from './capabilities.js';

/** struct open_how (openat2). */
export function openHow(flags: number, mode: number, resolve: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(BigInt(flags), 0);
  b.writeBigUInt64LE(BigInt(mode), 8);
  b.writeBigUInt64LE(BigInt(resolve), 16);
  return b;
}

/** struct mount_attr (mount_setattr). */
export function mountAttr(attrSet: number, attrClr: number, propagation: number, usernsFd = 0): Buffer {
  const b = Buffer.alloc(32);
  b.writeBigUInt64LE(BigInt(attrSet), 0);
  b.writeBigUInt64LE(BigInt(attrClr), 8);
  b.writeBigUInt64LE(BigInt(propagation), 16);
  b.writeBigUInt64LE(BigInt(usernsFd), 24);
  return b;
}
export const MOUNT_ATTR_SIZE = 32;
export const MOUNT_ATTR_USERNS_FD_OFFSET = 24;

/** struct rlimit64. */
export function rlimit(soft: number | bigint, hard: number | bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(soft)), 0);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(hard)), 8);
  return b;
}

/** The capset header and data (version 3: two 32-bit words per set). */
export function capsetHeader(): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  b.writeInt32LE(0, 4);
  return b;
}
export function capsetData(effective: number[], permitted: number[], inheritable: number[]): Buffer {
  const [e0, e1] = capabilityWords(effective);
  const [p0, p1] = capabilityWords(permitted);
  const [i0, i1] = capabilityWords(inheritable);
  const b = Buffer.alloc(24);
  [e0, p0, i0, e1, p1, i1].forEach((w, k) => b.writeUInt32LE(w, k * 4));
  return b;
}

/** gid_t array for setgroups. */
export function gidArray(gids: readonly number[]): Buffer {
  const b = Buffer.alloc(Math.max(4, gids.length * 4));
  gids.forEach((g, i) => b.writeUInt32LE(g >>> 0, i * 4));
  return b;
}

/** The kernel's dev_t encoding for mknod (new_encode_dev). */
export function encodeDev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}

/** struct statx field offsets (linux/stat.h). */
export const STATX = { SIZE: 256, MODE: 28, RDEV_MAJOR: 128, RDEV_MINOR: 132, MASK_BASIC: 0x7ff } as const;

/** struct winsize {rows, cols, xpixel, ypixel} (TIOCSWINSZ). */
export function winsize(rows: number, cols: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(rows, 0);
  b.writeUInt16LE(cols, 2);
  return b;
}

/**
 * sendmsg(2) of `payload` with one fd in an SCM_RIGHTS control message, as the pieces a program
 * lays out: the iovec and msghdr hold pointers (offsets given for ProgramBuilder.struct), and the
 * fd goes in at FD_OFFSET of the control buffer (a register patched in before the call). The
 * control buffer is CMSG_SPACE(4) bytes with cmsg_len CMSG_LEN(4): what runc's RecvFd and
 * containerd's and conmon's receivers check.
 */
export const FD_MESSAGE = {
  /** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
  MSGHDR_SIZE: 56,
  IOV_AT: 16,
  CONTROL_AT: 32,
  /** struct iovec: base, len. */
  IOVEC_SIZE: 16,
  CMSG_SPACE: 24,
  FD_OFFSET: 16,
} as const;

export function fdMessageParts(payloadLength: number): { msghdr: Buffer; iovec: Buffer; control: Buffer } {
  const msghdr = Buffer.alloc(FD_MESSAGE.MSGHDR_SIZE);
  msghdr.writeBigUInt64LE(1n, 24); // msg_iovlen
  msghdr.writeBigUInt64LE(BigInt(FD_MESSAGE.CMSG_SPACE), 40); // msg_controllen
  const iovec = Buffer.alloc(FD_MESSAGE.IOVEC_SIZE);
  iovec.writeBigUInt64LE(BigInt(payloadLength), 8);
  const control = Buffer.alloc(FD_MESSAGE.CMSG_SPACE);
  control.writeBigUInt64LE(20n, 0); // cmsg_len = CMSG_LEN(sizeof(int))
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  return { msghdr, iovec, control };
}
