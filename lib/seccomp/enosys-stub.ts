// runc's -ENOSYS stub (libcontainer/seccomp/patchbpf), before the filter libseccomp compiled: a
// system call numbered above every one the profile names, for its architecture, fails with ENOSYS
// instead of the default action. A profile written before a syscall existed then says "not
// implemented" for it, as an older kernel would, and programs fall back (glibc tries clone3 and
// faccessat2, then their predecessors, only on ENOSYS); with the default action they would see
// EPERM, or be killed. Not added when the default action lets calls through (ALLOW, LOG, TRACE: a
// tracer handles new syscalls itself) or already is ENOSYS.
import { ERRNO } from '../../bindings/constants.js';
import type { Libseccomp } from '../../bindings/libseccomp.js';
import { BPF, BPF_MAX_COND_JUMP, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET, X32_SYSCALL_BIT, type SockFilter } from '../../bindings/seccomp.js';
import type { LinuxSeccomp } from '../spec/index.js';

const RET_ENOSYS = SECCOMP_RET.ERRNO | ERRNO.ENOSYS;
const PERMISSIVE = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']);

/** What the stub needs of libseccomp's architecture tokens (they are AUDIT_ARCH values but x32's). */
export interface StubArchs {
  native: number;
  x86_64: number;
  x32: number;
  s390: number;
  s390x: number;
}

/** One architecture as the kernel reports it in seccomp_data.arch, with the highest syscall number the profile names. */
interface Section {
  audit: number;
  /** x86_64 and x32 share AUDIT_ARCH_X86_64; x32 numbers carry X32_SYSCALL_BIT. */
  max: { native?: number; x32?: number };
  s390: boolean;
}

export function needsEnosysStub(sc: LinuxSeccomp): boolean {
  if (PERMISSIVE.has(sc.defaultAction)) return false;
  return !(sc.defaultAction === 'SCMP_ACT_ERRNO' && sc.defaultErrnoRet === ERRNO.ENOSYS);
}

/** The stub for `sc`'s architectures (`tokens`: the ones libseccomp knows, the native one included). */
export function enosysStub(sc: LinuxSeccomp, lib: Pick<Libseccomp, 'syscallNumber'>, tokens: readonly number[], archs: StubArchs): SockFilter[] {
  const names = [...new Set((sc.syscalls ?? []).flatMap((r) => r.names))];
  const sections = new Map<number, Section>();
  for (const token of new Set(tokens)) {
    // Pseudo numbers (negative) and names unknown on the architecture count for nothing.
    const max = Math.max(0, ...names.map((n) => lib.syscallNumber(token, n)));
    if (max === 0) continue;
    const x32 = token === archs.x32;
    const audit = x32 ? archs.x86_64 : token;
    const s = sections.get(audit) ?? { audit, max: {}, s390: token === archs.s390 || token === archs.s390x };
    if (x32) s.max.x32 = max;
    else s.max.native = max;
    sections.set(audit, s);
  }
  if (!sections.size) return [];
  return assemble([...sections.values()], archs.x86_64);
}

const ld = (k: number): SockFilter => ({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k });
const ja = (k: number): SockFilter => ({ code: BPF.JA, jt: 0, jf: 0, k });
const ret = (k: number): SockFilter => ({ code: BPF.RET_K, jt: 0, jf: 0, k });
const jump = (code: number, k: number, jt: number, jf = 0): SockFilter => ({ code, jt, jf, k });

/**
 * Built from its end, as runc builds it, so each jump is known when written: the program ends
 * with "ja 1 (into the filter); ret ENOSYS"; each architecture's section, prepended, compares the
 * syscall number and jumps to one or the other; then one arch comparison per section, and first
 * the load of the arch. An architecture without a section falls through into the filter.
 */
function assemble(sections: readonly Section[], x86_64: number): SockFilter[] {
  let tail: SockFilter[] = [ja(1), ret(RET_ENOSYS)];
  const fromEnd = new Map<number, number>();
  for (const s of sections) {
    const toEnosys = tail.length - 1;
    const toFilter = tail.length;
    const body: SockFilter[] = [ld(SECCOMP_DATA_NR)];
    // s390's multiplexer (syscall 0) carries numbers the kernel does not know.
    if (s.s390) body.push(jump(BPF.JEQ_K, 0, 0, 1), ret(RET_ENOSYS));
    if (s.max.native !== undefined && s.max.x32 !== undefined) {
      body.push(
        ...(toEnosys + 2 <= BPF_MAX_COND_JUMP
          ? [jump(BPF.JSET_K, X32_SYSCALL_BIT, 1), jump(BPF.JGT_K, s.max.native, toEnosys + 2, 1), jump(BPF.JGT_K, s.max.x32, toEnosys + 1), ja(toFilter)]
          : [jump(BPF.JSET_K, X32_SYSCALL_BIT, 1), jump(BPF.JGT_K, s.max.native, 1, 2), jump(BPF.JGT_K, s.max.x32, 0, 1), ret(RET_ENOSYS), ja(toFilter)]),
      );
    } else {
      const max = (s.max.native ?? s.max.x32)!;
      let end = toEnosys + 1 <= BPF_MAX_COND_JUMP ? [jump(BPF.JGT_K, max, toEnosys + 1), ja(toFilter)] : [jump(BPF.JGT_K, max, 0, 1), ret(RET_ENOSYS), ja(toFilter)];
      // On x86_64 the other ABI's calls (the x32 bit set, or not) skip the comparison.
      if (s.audit === x86_64) end = [s.max.x32 === undefined ? jump(BPF.JSET_K, X32_SYSCALL_BIT, end.length - 1) : jump(BPF.JSET_K, X32_SYSCALL_BIT, 0, end.length - 1), ...end];
      body.push(...end);
    }
    tail = [...body, ...tail];
    fromEnd.set(s.audit, tail.length);
  }
  // Any other architecture: straight into the filter (which has its own answer for it).
  tail = [ja(tail.length), ...tail];
  for (const s of sections) {
    const k = tail.length - fromEnd.get(s.audit)!;
    tail = k <= BPF_MAX_COND_JUMP ? [jump(BPF.JEQ_K, s.audit, k), ...tail] : [jump(BPF.JEQ_K, s.audit, 0, 1), ja(k), ...tail];
  }
  return [ld(SECCOMP_DATA_ARCH), ...tail];
}
