// koffi declarations for the parts of libseccomp (libseccomp.so.2) that ocirun uses to resolve
// syscall and architecture names, so no syscall table is written by hand. The library is opened
// on first use; when it is missing, `openLibseccomp()` returns null and callers degrade.
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
}

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
    const version = koffi.decode(seccompVersion(), Version) as Libseccomp['version'];
    cached = {
      version: { major: version.major, minor: version.minor, micro: version.micro },
      archToken: (name) => archResolveName(name) as number,
      nativeArch: () => archNative() as number,
      syscallNumber: (arch, name) => resolveNameArch(arch, name) as number,
    };
  } catch {
    cached = null;
  }
  return cached;
}
