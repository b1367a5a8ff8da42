// Kernel ABI constants (linux/*.h). Where values differ by architecture, both are given.

const arm = process.arch === 'arm64';

export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: arm ? 0o40000 : 0o200000,
  NOFOLLOW: arm ? 0o100000 : 0o400000,
  CLOEXEC: 0o2000000,
  PATH: 0o10000000,
} as const;

export const AT = {
  FDCWD: -100,
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EACCESS: 0x200,
  EMPTY_PATH: 0x1000,
  RECURSIVE: 0x8000,
  STATX_SYNC_AS_STAT: 0,
} as const;

export const CLONE = {
  NEWTIME: 0x80,
  PARENT: 0x8000,
  NEWNS: 0x20000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** mount_setattr(2) / fsmount(2) attributes. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  IDMAP: 0x100000,
  NOSYMFOLLOW: 0x200000,
} as const;

export const OPEN_TREE = { CLONE: 1, CLOEXEC: O.CLOEXEC } as const;
export const MOVE_MOUNT = { F_SYMLINKS: 1, F_EMPTY_PATH: 4, T_SYMLINKS: 0x10, T_EMPTY_PATH: 0x40 } as const;
export const FSOPEN_CLOEXEC = 1;
export const FSMOUNT_CLOEXEC = 1;
export const FSCONFIG = { SET_FLAG: 0, SET_STRING: 1, SET_FD: 5, CMD_CREATE: 6 } as const;
export const RESOLVE = { NO_XDEV: 1, NO_MAGICLINKS: 2, NO_SYMLINKS: 4, BENEATH: 8, IN_ROOT: 0x10 } as const;
export const MNT_DETACH = 2;

export const S = { IFMT: 0o170000, IFDIR: 0o040000, IFCHR: 0o020000, IFBLK: 0o060000, IFREG: 0o100000, IFIFO: 0o010000, IFLNK: 0o120000 } as const;

export const PR = {
  SET_PDEATHSIG: 1,
  SET_DUMPABLE: 4,
  SET_KEEPCAPS: 8,
  CAPBSET_DROP: 24,
  SET_CHILD_SUBREAPER: 36,
  SET_NO_NEW_PRIVS: 38,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

export const F_SETFD = 2;
export const CLOSE_RANGE_CLOEXEC = 1 << 2;
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
export const KEYCTL_JOIN_SESSION_KEYRING = 1;
export const TIOCSCTTY = 0x540e;
/** Terminal ioctls (asm-generic values: the same on x86_64 and aarch64). */
export const TIOC = {
  SCTTY: 0x540e,
  SWINSZ: 0x5414,
  /** _IOW('T', 0x31, int): lock or unlock a pty's slave. */
  SPTLCK: 0x40045431,
  /** _IO('T', 0x41): open the slave of a pty master, from the master's own devpts instance. */
  GPTPEER: 0x5441,
} as const;
export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const SIGCHLD = 17;

export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, ENOSPC: 28, EROFS: 30, EPIPE: 32, ENOSYS: 38, ELOOP: 40, ENOTSUP: 95, ENOEXEC: 8,
} as const;

/** statfs f_type of procfs (linux/magic.h). */
export const PROC_SUPER_MAGIC = 0x9fa0;
/** struct statfs: f_type is its first field, a long on x86_64 and aarch64; 120 bytes in all. */
export const STATFS_SIZE = 120;
