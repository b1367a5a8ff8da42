// The program format shared with bindings/executor.c: a header, an array of fixed-size ops, a
// relocation table, a patch table and one data area. The executor runs the ops in order; this
// builder is how the planner writes them. Layouts must match executor.c byte for byte.
import { PROGRAM_MAGIC, PROGRAM_VERSION, type Slot } from './program-format.js';
import { syscallTable, type SyscallName } from './syscalls.js';

const HEADER_SIZE = 40;
/** Where struct program keeps the program's size in bytes (its last field). */
export const PROGRAM_SIZE_OFFSET = HEADER_SIZE - 4;
const OP_SIZE = 80;
const PATCH_SIZE = 8;
const MAX_REGISTERS = 255;
const NO_REGISTER = 0xff;

const OP_SYSCALL = 0;
const OP_FORK = 1;
const OP_TEST = 2;
const OP_COPY_TREE = 3;
const FLAG_NONZERO = 1;
const FLAG_TEST_INVERT = 2;
const FLAG_RETRY_EAGAIN = 4;

/** A pointer into the program's data area. */
export class Ref {
  constructor(readonly offset: number) {}
  /** A pointer `delta` bytes further on. */
  at(delta: number): Ref {
    return new Ref(this.offset + delta);
  }
}

/** A register: holds the result of an earlier op (an fd, usually). */
export class Reg {
  constructor(readonly index: number) {}
}

/** A position in the op list, for skips; placed later with `ProgramBuilder.place`. */
export class Label {
  index = -1;
  constructor(readonly name: string) {}
}

export type Arg = number | bigint | Ref | Reg;

export interface OpOptions {
  /** Errnos that do not fail the program: the op's register gets -errno and execution goes on. */
  tolerate?: readonly number[];
  save?: Reg;
  /** Where to continue after success (default: the next op). */
  onSuccess?: Label;
  /** Where to continue after a tolerated error (default: the next op). */
  onTolerated?: Label;
  /** A result of 0 is a failure (a read that hit end of file: the peer went away). */
  nonzero?: boolean;
  /** Before the op runs, write a register into the data area (an fd inside a struct). */
  patches?: readonly { at: Ref; reg: Reg; width: 4 | 8 }[];
}

interface PendingOp {
  kind: number;
  nr: number;
  name: string;
  args: Arg[];
  options: OpOptions;
  flags: number;
  description: string;
}

export interface EncodedProgram {
  /** The bytes to hand to the executor. */
  bytes: Buffer;
  /** Areas to fill in before each run (a NUL-terminated string each). */
  slots: Record<string, Slot>;
  /** One description per op, for error messages and plan listings. */
  descriptions: string[];
  /** A readable listing of every op. */
  listing: string[];
}

export class ProgramBuilder {
  private readonly ops: PendingOp[] = [];
  private readonly chunks: Buffer[] = [];
  private dataSize = 0;
  private readonly relocations: number[] = [];
  private readonly slots = new Map<string, { ref: Ref; size: number }>();
  private nextRegister = 0;
  private readonly table: Record<SyscallName, number>;

  /** `arch`: whose syscall numbers to use (a program for another architecture, in tests). */
  constructor(arch: string = process.arch) {
    this.table = syscallTable(arch);
  }

  /** Number of ops so far. */
  get length(): number {
    return this.ops.length;
  }

  register(): Reg {
    if (this.nextRegister >= MAX_REGISTERS) throw new Error('program needs more registers than the executor has');
    return new Reg(this.nextRegister++);
  }

  label(name: string): Label {
    return new Label(name);
  }

  place(label: Label): void {
    label.index = this.ops.length;
  }

  // ---- data area ----

  bytes(data: Uint8Array): Ref {
    const pad = (8 - (this.dataSize % 8)) % 8;
    if (pad) this.append(Buffer.alloc(pad));
    const ref = new Ref(this.dataSize);
    this.append(Buffer.from(data));
    return ref;
  }

  /** A NUL-terminated string. */
  string(s: string): Ref {
    if (s.includes('\0')) throw new Error(`string contains a NUL byte: ${JSON.stringify(s)}`);
    return this.bytes(Buffer.from(s + '\0'));
  }

  /**
   * A zeroed area the runtime fills in per run (the container id, say), so the same encoded
   * program serves every container of a bundle; a patch from `slotPatch` (program-format.ts) fills it on the way to the executor.
   */
  slot(name: string, size: number): Ref {
    if (this.slots.has(name)) throw new Error(`slot ${name} exists`);
    const ref = this.zeroed(size);
    this.slots.set(name, { ref, size });
    return ref;
  }

  /** A zeroed buffer (for results: statx, read). */
  zeroed(size: number): Ref {
    return this.bytes(Buffer.alloc(size));
  }

  /** A NULL-terminated array of pointers (argv, envp). */
  pointerArray(refs: readonly Ref[]): Ref {
    const buf = Buffer.alloc((refs.length + 1) * 8);
    refs.forEach((r, i) => buf.writeBigUInt64LE(BigInt(r.offset), i * 8));
    const ref = this.bytes(buf);
    refs.forEach((_, i) => this.relocations.push(ref.offset + i * 8));
    return ref;
  }

  /** A struct whose listed byte offsets hold pointers (given as Refs) into the data area. */
  struct(data: Buffer, pointers: readonly { at: number; to: Ref }[] = []): Ref {
    const buf = Buffer.from(data);
    for (const p of pointers) buf.writeBigUInt64LE(BigInt(p.to.offset), p.at);
    const ref = this.bytes(buf);
    for (const p of pointers) this.relocations.push(ref.offset + p.at);
    return ref;
  }

  private append(b: Buffer): void {
    this.chunks.push(b);
    this.dataSize += b.length;
  }

  // ---- ops ----

  syscall(name: SyscallName, args: Arg[], description: string, options: OpOptions = {}): this {
    if (args.length > 6) throw new Error(`${name}: at most 6 arguments`);
    const nr = this.table[name];
    let flags = 0;
    if (options.nonzero) flags |= FLAG_NONZERO;
    // Every RESOLVE_* lookup: a rename racing it makes it fail with EAGAIN (images often hold
    // links such as var/run -> ../run); the executor retries it a bounded number of times.
    if (name === 'openat2') flags |= FLAG_RETRY_EAGAIN;
    this.ops.push({ kind: OP_SYSCALL, nr, name, args, options, flags, description });
    return this;
  }

  /** Fork; the parent reports the child's pid and exits, the child goes on with the next op. */
  fork(cloneFlags: number, description: string): this {
    this.ops.push({ kind: OP_FORK, nr: 0, name: 'fork', args: [cloneFlags], options: {}, flags: 0, description });
    return this;
  }

  /**
   * Compare `width` bytes at `at` (masked) with `value`. When they match (or, with `invert`, when
   * they do not) the program fails with `failErrno`, or, without one, continues at `jump`.
   */
  test(
    at: Ref,
    width: 2 | 4 | 8,
    mask: number,
    value: number,
    action: { failErrno: number } | { jump: Label },
    description: string,
    invert = false,
  ): this {
    const failErrno = 'failErrno' in action ? action.failErrno : 0;
    const options: OpOptions = 'jump' in action ? { onSuccess: action.jump } : {};
    this.ops.push({
      kind: OP_TEST,
      nr: 0,
      name: 'test',
      args: [at, width, mask, value, failErrno],
      options,
      flags: invert ? FLAG_TEST_INVERT : 0,
      description,
    });
    return this;
  }

  /**
   * Copy the contents of directory fd `from` into directory fd `to` (tmpcopyup; executor.c's
   * copy-tree.h): never following a symlink, owners, modes and xattrs kept. Closes both fds.
   */
  copyTree(from: Reg, to: Reg, description: string): this {
    this.ops.push({ kind: OP_COPY_TREE, nr: 0, name: 'copy_tree', args: [from, to], options: {}, flags: 0, description });
    return this;
  }

  /** Continue at `label` unconditionally. */
  goto(label: Label, description: string): this {
    this.alwaysZero ??= this.zeroed(8);
    return this.test(this.alwaysZero, 4, 0, 0, { jump: label }, description);
  }
  private alwaysZero?: Ref;

  // ---- encoding ----

  encode(reportFd: number): EncodedProgram {
    const patchList: { at: Ref; reg: Reg; width: number }[] = [];
    for (const op of this.ops) for (const p of op.options.patches ?? []) patchList.push(p);
    const opsOffset = HEADER_SIZE;
    const relocationsOffset = opsOffset + this.ops.length * OP_SIZE;
    const patchesOffset = align8(relocationsOffset + this.relocations.length * 4);
    const dataOffset = align8(patchesOffset + patchList.length * PATCH_SIZE);
    const size = dataOffset + this.dataSize;
    const buf = Buffer.alloc(size);
    // Typed-array stores instead of Buffer.write*: a CLI process runs this once, cold, over ~550
    // ops, where each Buffer.write* call (argument checks, bounds checks) costs microseconds.
    // Buffer.alloc gives a fresh ArrayBuffer at offset 0; every 32/16-bit field below is aligned.
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset, size >>> 2);
    const i32 = new Int32Array(buf.buffer, buf.byteOffset, size >>> 2);
    const u16 = new Uint16Array(buf.buffer, buf.byteOffset, size >>> 1);
    const u64 = (value: number, at: number) => writeU64(u32, i32, value, at);

    u32[0] = PROGRAM_MAGIC;
    u32[1] = PROGRAM_VERSION;
    u32[2] = this.ops.length;
    u32[3] = this.relocations.length;
    u32[4] = patchList.length;
    i32[5] = reportFd;
    u32[6] = opsOffset;
    u32[7] = relocationsOffset;
    u32[8] = patchesOffset;
    u32[9] = size;

    let patchIndex = 0;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i];
      const o = opsOffset + i * OP_SIZE;
      u32[o >>> 2] = op.kind;
      u32[(o >>> 2) + 1] = op.nr;
      for (let k = 0; k < op.args.length; k++) {
        const arg = op.args[k];
        const at = o + 8 + k * 8;
        if (arg instanceof Ref) {
          u64(dataOffset + arg.offset, at);
          buf[o + 56 + k] = 1;
        } else if (arg instanceof Reg) {
          u64(arg.index, at);
          buf[o + 56 + k] = 2;
        } else if (typeof arg === 'bigint') {
          buf.writeBigUInt64LE(BigInt.asUintN(64, arg), at);
        } else {
          u64(arg, at);
        }
      }
      buf[o + 62] = op.options.save ? op.options.save.index : NO_REGISTER;
      buf[o + 63] = op.flags;
      const tolerate = op.options.tolerate ?? [];
      if (tolerate.length > 4) throw new Error(`${op.description}: at most 4 tolerated errnos`);
      for (let k = 0; k < tolerate.length; k++) u16[((o + 64) >>> 1) + k] = tolerate[k];
      u16[(o + 72) >>> 1] = skipTo(op.options.onSuccess, i);
      u16[(o + 74) >>> 1] = skipTo(op.options.onTolerated, i);
      const patches = op.options.patches ?? [];
      u16[(o + 76) >>> 1] = patches.length ? patchIndex : 0;
      u16[(o + 78) >>> 1] = patches.length;
      patchIndex += patches.length;
    }
    for (let i = 0; i < this.relocations.length; i++) u32[(relocationsOffset >>> 2) + i] = dataOffset + this.relocations[i];
    for (let i = 0; i < patchList.length; i++) {
      const p = patchList[i];
      const o = patchesOffset + i * PATCH_SIZE;
      u32[o >>> 2] = dataOffset + p.at.offset;
      buf[o + 4] = p.reg.index;
      buf[o + 5] = p.width;
    }
    let at = dataOffset;
    for (const c of this.chunks) {
      c.copy(buf, at);
      at += c.length;
    }
    // Pointers inside the data area become program-relative; the executor adds the base address.
    for (const r of this.relocations) {
      const pos = dataOffset + r;
      buf.writeBigUInt64LE(buf.readBigUInt64LE(pos) + BigInt(dataOffset), pos);
    }

    const ops = this.ops;
    const slots: Record<string, Slot> = {};
    for (const [name, { ref, size }] of this.slots) slots[name] = { offset: dataOffset + ref.offset, size };
    return {
      bytes: buf,
      slots,
      descriptions: ops.map((op) => op.description),
      // Built on demand: only plan listings and tests read it.
      get listing() {
        return ops.map((op, i) => `${String(i).padStart(3)}  ${op.name.padEnd(14)} ${op.description}`);
      },
    };
  }
}

/** Bytes to write over an encoded program at `offset` (bindings/libc.ts spawnProgram). */
function skipTo(label: Label | undefined, index: number): number {
  if (!label) return 0;
  if (label.index < 0) throw new Error(`label ${label.name} was never placed`);
  const skip = label.index - index - 1;
  if (skip < 0) throw new Error(`label ${label.name} is behind op ${index}: only forward skips are allowed`);
  return skip;
}

/**
 * A 64-bit integer from a JS number (an int32 when negative), without BigInt. Typed arrays store
 * in the host's byte order, which is what the executor reads; low word first is right for the
 * little-endian architectures ocirun supports (x86_64, aarch64).
 */
function writeU64(u32: Uint32Array, i32: Int32Array, value: number, at: number): void {
  if (!Number.isInteger(value)) throw new Error(`program argument ${value} is not an integer`);
  const w = at >>> 2;
  if (value >= 0) {
    u32[w] = value % 0x100000000;
    u32[w + 1] = Math.floor(value / 0x100000000);
  } else {
    if (value < -0x80000000) throw new Error(`program argument ${value} is out of range`);
    i32[w] = value;
    i32[w + 1] = -1;
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
