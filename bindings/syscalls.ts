// Syscall numbers for the architectures ocirun supports. Only the calls the planner emits.
// Numbers from 424 up are shared by every architecture (the unified table).

const shared = {
  pidfd_send_signal: 424,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  pidfd_open: 434,
  close_range: 436,
  openat2: 437,
  mount_setattr: 442,
} as const;

const x64 = {
  read: 0, write: 1, close: 3, ioctl: 16, dup3: 292, fcntl: 72, chdir: 80, fchdir: 81, umask: 95,
  setsid: 112, setgroups: 116, setresuid: 117, setresgid: 119, capset: 126, personality: 135,
  pivot_root: 155, prctl: 157, chroot: 161, mount: 165, umount2: 166, sethostname: 170,
  setdomainname: 171, keyctl: 250, ioprio_set: 251, openat: 257, mkdirat: 258, mknodat: 259,
  fchownat: 260, unlinkat: 263, symlinkat: 266, fchmodat: 268, faccessat: 269, unshare: 272,
  prlimit64: 302, setns: 308, sched_setattr: 314, seccomp: 317, execve: 59, statx: 332, kill: 62, setpgid: 109, sendmsg: 46, getcwd: 79, fstatfs: 138,
  ...shared,
} as const;

export type SyscallName = keyof typeof x64;

const arm64: Record<SyscallName, number> = {
  read: 63, write: 64, close: 57, ioctl: 29, dup3: 24, fcntl: 25, chdir: 49, fchdir: 50, umask: 166,
  setsid: 157, setgroups: 159, setresuid: 147, setresgid: 149, capset: 91, personality: 92,
  pivot_root: 41, prctl: 167, chroot: 51, mount: 40, umount2: 39, sethostname: 161,
  setdomainname: 162, keyctl: 219, ioprio_set: 30, openat: 56, mkdirat: 34, mknodat: 33,
  fchownat: 54, unlinkat: 35, symlinkat: 36, fchmodat: 53, faccessat: 48, unshare: 97,
  prlimit64: 261, setns: 268, sched_setattr: 274, seccomp: 277, execve: 221, statx: 291, kill: 129, setpgid: 154, sendmsg: 211, getcwd: 17, fstatfs: 44,
  ...shared,
};

const tables: Record<string, Record<SyscallName, number>> = { x64, arm64 };

export function syscallTable(arch: string = process.arch): Record<SyscallName, number> {
  const t = tables[arch];
  if (!t) throw new Error(`ocirun supports x86_64 and aarch64, not ${arch}`);
  return t;
}
