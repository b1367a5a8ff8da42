// What this host can do with seccomp: the actions and filter flags its kernel supports (asked
// with seccomp(2) itself, nothing installed) and the architectures its libseccomp knows. Read
// once per process, when a filter is compiled or `features` is asked.
import { openLibseccomp } from '../../bindings/libseccomp.js';
import { seccompProbe } from '../../bindings/libc.js';
import { ACTIONS, CONFIG_FLAGS, libseccompArchName, SECCOMP_FILTER_FLAG, SECCOMP_GET_ACTION_AVAIL, SECCOMP_SET_MODE_FILTER, type SeccompActionName, type SeccompFlagName } from '../../bindings/seccomp.js';

const EFAULT = 14;

/** The spec's architecture names (config-linux.md, libseccomp v2.6.0's list). */
export const SPEC_ARCHITECTURES = [
  'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64', 'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
] as const;

export interface SeccompSupport {
  /** libseccomp's version, or undefined when libseccomp.so.2 cannot be loaded. */
  libseccomp?: string;
  /** Actions the kernel can carry out. */
  actions: SeccompActionName[];
  /** Flags (of those config.json may name, and the runtime's own) the kernel accepts. */
  flags: SeccompFlagName[];
  /** Architectures libseccomp can filter. */
  archs: string[];
}

let cached: SeccompSupport | undefined;

export function seccompSupport(): SeccompSupport {
  if (cached) return cached;
  const lib = openLibseccomp();
  const actions = (Object.keys(ACTIONS) as SeccompActionName[]).filter((name) => seccompProbe(SECCOMP_GET_ACTION_AVAIL, 0, ACTIONS[name]) === 0);
  // A NULL program with known flags fails with EFAULT (the kernel got as far as reading it);
  // unknown flags fail with EINVAL first.
  const flags = (Object.keys(SECCOMP_FILTER_FLAG) as SeccompFlagName[]).filter((name) => {
    let bits: number = SECCOMP_FILTER_FLAG[name];
    // These two are only accepted together with a listener.
    if (name === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV') bits |= SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_NEW_LISTENER;
    return seccompProbe(SECCOMP_SET_MODE_FILTER, bits, 0) === -EFAULT;
  });
  const archs = lib ? SPEC_ARCHITECTURES.filter((a) => lib.archToken(libseccompArchName(a)) !== 0) : [];
  const v = lib?.version;
  cached = { libseccomp: v && `${v.major}.${v.minor}.${v.micro}`, actions, flags, archs };
  return cached;
}

/** The flags of config-linux.md this host supports, for `features`. */
export function supportedConfigFlags(support = seccompSupport()): string[] {
  return CONFIG_FLAGS.filter((f) => support.flags.includes(f));
}
