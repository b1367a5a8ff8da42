// koffi declarations for the parts of libseccomp (libseccomp.so.2) that ocirun uses: resolving
// syscall and architecture names, and compiling a filter to BPF, so no syscall table or BPF
// compiler is written by hand. The library is opened on first use; when it is missing,
// `openLibseccomp()` returns null and callers degrade (validation) or refuse (planning).
import { closeSync, fstatSync, readSync } from 'node:fs';
import { memfdCreate } from './libc.js';
import { loadKoffi } from './koffi.js';

/** libseccomp's __NR_SCMP_ERROR: the name is unknown to libseccomp on every architecture. */
export const NR_SCMP_ERROR = -1;

export interface Libseccomp {
  version: { major: number; minor: number; micro: number };
  /** Token of an architecture name as libseccomp spells it (`x86_64`, `aarch64`); 0 when unknown. */
  archToken(name: string): number;
  /** The token of the architecture this process runs on. */
  nativeArch(): number;
  /**
   * The syscall number of `name` on `arch`: >= 0 when the syscall exists there, a negative
   * pseudo-number (< -1) when libseccomp knows it but that architecture lacks it, and
   * NR_SCMP_ERROR when the name is unknown.
   */
  syscallNumber(arch: number, name: string): number;
  /** A new filter with `defaultAction` (a kernel action word) for the native architecture. */
  newFilter(defaultAction: number): SeccompFilter;
}

/** One argument comparison of a rule (libseccomp's struct scmp_arg_cmp). */
export interface ArgCompare {
  index: number;
  op: number;
  a: bigint;
  b: bigint;
}

/** A filter being built; every call returns 0 or libseccomp's -errno. Release it when done. */
export interface SeccompFilter {
  addArch(token: number): number;
  /** `syscall`: the number libseccomp resolved for the native architecture (may be a pseudo-number). */
  addRule(action: number, syscall: number, args: readonly ArgCompare[]): number;
  /** SCMP_FLTATR_CTL_OPTIMIZE: 2 sorts the syscalls into a binary tree (libseccomp >= 2.5). */
  setOptimize(level: number): number;
  /** The compiled program: struct sock_filter instructions. */
  exportBpf(): Buffer;
  release(): void;
}

const SCMP_FLTATR_CTL_NNP = 3;
const SCMP_FLTATR_CTL_OPTIMIZE = 8;
const ARG_CMP_SIZE = 24;

let cached: Libseccomp | null | undefined;

export function openLibseccomp(): Libseccomp | null {
  if (cached !== undefined) return cached;
  try {
    // Loaded here, not at import, so this module stays loadable (and koffi unloaded) when nobody
    // asks for seccomp.
    const koffi = loadKoffi();
    const lib = koffi.load('libseccomp.so.2');
    const Version = koffi.struct('ocirun_scmp_version', { major: 'uint', minor: 'uint', micro: 'uint' });
    const seccompVersion = lib.func('seccomp_version', koffi.pointer(Version), []);
    const archResolveName = lib.func('uint32_t seccomp_arch_resolve_name(const char *name)');
    const archNative = lib.func('uint32_t seccomp_arch_native(void)');
    const resolveNameArch = lib.func('int seccomp_syscall_resolve_name_arch(uint32_t arch_token, const char *name)');
    const init = lib.func('void *seccomp_init(uint32_t def_action)');
    const release = lib.func('void seccomp_release(void *ctx)');
    const archAdd = lib.func('int seccomp_arch_add(void *ctx, uint32_t arch_token)');
    const attrSet = lib.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)');
    const ruleAddArray = lib.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int arg_cnt, const void *arg_array)');
    const exportBpf = lib.func('int seccomp_export_bpf(void *ctx, int fd)');
    const version = koffi.decode(seccompVersion(), Version) as Libseccomp['version'];
    cached = {
      version: { major: version.major, minor: version.minor, micro: version.micro },
      archToken: (name) => archResolveName(name) as number,
      nativeArch: () => archNative() as number,
      syscallNumber: (arch, name) => resolveNameArch(arch, name) as number,
      newFilter(defaultAction) {
        const ctx = init(defaultAction);
        if (!ctx) throw new Error(`seccomp_init(0x${defaultAction.toString(16)}) failed`);
        // The runtime loads the filter itself and sets no_new_privs only when config.json asks.
        attrSet(ctx, SCMP_FLTATR_CTL_NNP, 0);
        let released = false;
        return {
          addArch: (token) => archAdd(ctx, token) as number,
          addRule(action, syscall, args) {
            const buf = Buffer.alloc(Math.max(1, args.length) * ARG_CMP_SIZE);
            args.forEach((c, i) => {
              buf.writeUInt32LE(c.index, i * ARG_CMP_SIZE);
              buf.writeUInt32LE(c.op, i * ARG_CMP_SIZE + 4);
              buf.writeBigUInt64LE(BigInt.asUintN(64, c.a), i * ARG_CMP_SIZE + 8);
              buf.writeBigUInt64LE(BigInt.asUintN(64, c.b), i * ARG_CMP_SIZE + 16);
            });
            return ruleAddArray(ctx, action, syscall, args.length, args.length ? buf : null) as number;
          },
          setOptimize: (level) => attrSet(ctx, SCMP_FLTATR_CTL_OPTIMIZE, level) as number,
          exportBpf() {
            // libseccomp 2.5 exports to an fd only (seccomp_export_bpf_mem is 2.6's).
            const fd = memfdCreate('ocirun-seccomp');
            try {
              const r = exportBpf(ctx, fd) as number;
              if (r < 0) throw Object.assign(new Error(`seccomp_export_bpf: errno ${-r}`), { errno: -r });
              const out = Buffer.alloc(fstatSync(fd).size);
              let done = 0;
              while (done < out.length) {
                const n = readSync(fd, out, done, out.length - done, done);
                if (n <= 0) break;
                done += n;
              }
              return out.subarray(0, done);
            } finally {
              closeSync(fd);
            }
          },
          release() {
            if (!released) release(ctx);
            released = true;
          },
        };
      },
    };
  } catch {
    cached = null;
  }
  return cached;
}
