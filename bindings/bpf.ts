// eBPF ABI: instruction encoding (linux/bpf.h, linux/bpf_common.h) and the constants of cgroup
// device programs. The program's logic is built in lib/cgroups/device-program.ts; loading and
// attaching go through the addon (bindings/libc.ts).

export const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
export const BPF_CGROUP_DEVICE = 6;
export const BPF_F_ALLOW_MULTI = 2;

/** struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } */
export const DEV_CTX = { ACCESS_TYPE: 0, MAJOR: 4, MINOR: 8 } as const;
/** access_type = (access << 16) | type */
export const BPF_DEVCG = { DEV_BLOCK: 1, DEV_CHAR: 2, ACC_MKNOD: 1, ACC_READ: 2, ACC_WRITE: 4 } as const;

const OP = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  ALU64_AND_K: 0x57,
  ALU64_RSH_K: 0x77,
  ALU64_MOV_K: 0xb7,
  ALU64_MOV_X: 0xbf,
  JMP_JNE_K: 0x55,
  JMP_EXIT: 0x95,
} as const;

/** One instruction: code, dst/src registers, 16-bit offset, 32-bit immediate. */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const insn = {
  loadWord: (dst: number, src: number, off: number): Insn => ({ code: OP.LDX_MEM_W, dst, src, off, imm: 0 }),
  and: (dst: number, imm: number): Insn => ({ code: OP.ALU64_AND_K, dst, src: 0, off: 0, imm }),
  rsh: (dst: number, imm: number): Insn => ({ code: OP.ALU64_RSH_K, dst, src: 0, off: 0, imm }),
  movImm: (dst: number, imm: number): Insn => ({ code: OP.ALU64_MOV_K, dst, src: 0, off: 0, imm }),
  mov: (dst: number, src: number): Insn => ({ code: OP.ALU64_MOV_X, dst, src, off: 0, imm: 0 }),
  /** if (dst != imm) skip `off` instructions */
  jne: (dst: number, imm: number, off: number): Insn => ({ code: OP.JMP_JNE_K, dst, src: 0, off, imm }),
  exit: (): Insn => ({ code: OP.JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 }),
};

export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}
