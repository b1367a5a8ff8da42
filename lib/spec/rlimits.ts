// POSIX rlimit resource names Linux knows (getrlimit(2)), with their numbers on the generic
// Linux ABI (x86, x86_64, arm, aarch64, riscv, s390, ppc; mips and sparc number a few differently).
export const RLIMITS = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
} as const;

export type RlimitName = keyof typeof RLIMITS;

export function isRlimitName(name: string): name is RlimitName {
  return Object.prototype.hasOwnProperty.call(RLIMITS, name);
}
