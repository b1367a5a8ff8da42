// Kernel ABI of seccomp(2) (linux/seccomp.h, linux/filter.h) and libseccomp's action encoding.
// The filter itself is compiled by libseccomp (bindings/libseccomp.ts); these are what the
// runtime needs to load it with seccomp(2) and to describe what the kernel supports.

export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_GET_ACTION_AVAIL = 2;

/** seccomp(2) filter flags, by the names config-linux.md uses. */
export const SECCOMP_FILTER_FLAG = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 8,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 16,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
} as const;
export type SeccompFlagName = keyof typeof SECCOMP_FILTER_FLAG;

/** The flags config.json may name (the others are the runtime's own). */
export const CONFIG_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] as const;

/** The kernel's SECCOMP_RET_* values of the actions (what SECCOMP_GET_ACTION_AVAIL is asked about). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** The spec's action names → the kernel action (libseccomp's SCMP_ACT_* share the encoding). */
export const ACTIONS = {
  SCMP_ACT_KILL: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_THREAD: SECCOMP_RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: SECCOMP_RET.KILL_PROCESS,
  SCMP_ACT_TRAP: SECCOMP_RET.TRAP,
  SCMP_ACT_ERRNO: SECCOMP_RET.ERRNO,
  SCMP_ACT_TRACE: SECCOMP_RET.TRACE,
  SCMP_ACT_ALLOW: SECCOMP_RET.ALLOW,
  SCMP_ACT_LOG: SECCOMP_RET.LOG,
  SCMP_ACT_NOTIFY: SECCOMP_RET.USER_NOTIF,
} as const;
export type SeccompActionName = keyof typeof ACTIONS;

/** Actions that carry a 16-bit value (an errno, or the tracer's message). */
export const ACTIONS_WITH_DATA: ReadonlySet<string> = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);

/** libseccomp's scmp_compare. */
export const OPERATORS = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
} as const;
export type SeccompOperatorName = keyof typeof OPERATORS;

/** The 32-bit action word of `name` with its data (errno or trace value) where it has one. */
export function actionValue(name: SeccompActionName, data: number | undefined, defaultData: number): number {
  const base = ACTIONS[name];
  if (!ACTIONS_WITH_DATA.has(name)) return base;
  return (base | ((data ?? defaultData) & 0xffff)) >>> 0;
}

/** One struct sock_filter instruction is 8 bytes. */
export const SOCK_FILTER_SIZE = 8;
/** A BPF program may hold at most BPF_MAXINSNS instructions. */
export const BPF_MAXINSNS = 4096;

/** struct sock_fprog {u16 len; pad; struct sock_filter *filter} with the pointer at 8. */
export function sockFprog(instructions: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(instructions, 0);
  return b;
}
export const SOCK_FPROG_FILTER_OFFSET = 8;

/** `SCMP_ARCH_X86_64` → libseccomp's name for it, `x86_64`. */
export function libseccompArchName(arch: string): string {
  return arch.replace(/^SCMP_ARCH_/, '').toLowerCase();
}

/** Classic BPF, as seccomp filters are written (linux/filter.h, linux/bpf_common.h). */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const BPF = {
  /** A = seccomp_data word at offset k (0: nr, 4: arch). */
  LD_W_ABS: 0x20,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** The longest jump a conditional instruction's jt/jf can take. */
export const BPF_MAX_COND_JUMP = 255;

/** struct seccomp_data offsets. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;

/** x32 system calls are x86_64's with this bit set in their number. */
export const X32_SYSCALL_BIT = 0x40000000;

/** Instructions as the kernel takes them: u16 code, u8 jt, u8 jf, u32 k, host-endian (seccomp_export_bpf's layout). */
export function encodeSockFilters(insns: readonly SockFilter[]): Buffer {
  const b = Buffer.alloc(insns.length * SOCK_FILTER_SIZE);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  insns.forEach((x, i) => {
    const o = i * SOCK_FILTER_SIZE;
    if (x.jt > BPF_MAX_COND_JUMP || x.jf > BPF_MAX_COND_JUMP) throw new Error(`BPF instruction ${i}: jump beyond ${BPF_MAX_COND_JUMP}`);
    if (le) b.writeUInt16LE(x.code, o);
    else b.writeUInt16BE(x.code, o);
    b[o + 2] = x.jt;
    b[o + 3] = x.jf;
    if (le) b.writeUInt32LE(x.k >>> 0, o + 4);
    else b.writeUInt32BE(x.k >>> 0, o + 4);
  });
  return b;
}
