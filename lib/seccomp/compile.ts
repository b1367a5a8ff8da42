// linux.seccomp → a BPF program, compiled by libseccomp in the runtime process when a bundle is
// planned: the program travels in the executor's data and the cached plan, so a create from a
// cached plan pays nothing for it. Rules follow runc's reading of the config: names libseccomp
// does not know are skipped (validation warns, naming each), a rule whose action is the default
// one adds nothing, and comparisons on the same argument twice become one rule per comparison.
import { NR_SCMP_ERROR, openLibseccomp, type ArgCompare, type Libseccomp, type SeccompFilter } from '../../bindings/libseccomp.js';
import { ACTIONS, actionValue, libseccompArchName, BPF_MAXINSNS, OPERATORS, SECCOMP_FILTER_FLAG, SOCK_FILTER_SIZE, encodeSockFilters, type SeccompActionName, type SeccompFlagName, type SeccompOperatorName } from '../../bindings/seccomp.js';
import { ERRNO } from '../../bindings/constants.js';
import { OciError } from '../errors.js';
import type { LinuxSeccomp } from '../spec/index.js';
import { seccompSupport, type SeccompSupport } from './support.js';
import { toDatum, type SeccompDatum } from './exact-args.js';
import { enosysStub, needsEnosysStub } from './enosys-stub.js';

const BASE = '/linux/seccomp';

/** A filter ready for seccomp(2). */
export interface CompiledSeccomp {
  /** struct sock_filter instructions. */
  bpf: Buffer;
  /** seccomp(2) flags (with NEW_LISTENER when a rule notifies). */
  flags: number;
  /** Set when a rule is SCMP_ACT_NOTIFY: where the listener fd goes (config-linux.md). */
  listener?: { path: string; metadata?: string };
}

/** A CompiledSeccomp as JSON (the container's record keeps it for exec). */
export interface StoredSeccomp {
  bpf: string;
  flags: number;
  listener?: { path: string; metadata?: string };
}

export function storeSeccomp(c: CompiledSeccomp): StoredSeccomp {
  return { bpf: c.bpf.toString('base64'), flags: c.flags, ...(c.listener && { listener: c.listener }) };
}

export function loadStoredSeccomp(s: StoredSeccomp): CompiledSeccomp {
  return { bpf: Buffer.from(s.bpf, 'base64'), flags: s.flags, ...(s.listener && { listener: s.listener }) };
}

function invalid(pointer: string, message: string): OciError {
  return new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}: ${message}`);
}

export function compileSeccomp(sc: LinuxSeccomp, support: SeccompSupport = seccompSupport()): CompiledSeccomp {
  const lib = openLibseccomp();
  if (!lib) throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${BASE}: libseccomp.so.2 cannot be loaded on this host, so the filter cannot be compiled (apt-get install libseccomp2)`);
  const usable = (name: string, pointer: string): SeccompActionName => {
    if (!(name in ACTIONS)) throw invalid(pointer, `unknown seccomp action "${name}"`);
    if (!support.actions.includes(name as SeccompActionName)) throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${pointer}: this kernel does not support the seccomp action ${name}`);
    return name as SeccompActionName;
  };
  const defaultName = usable(sc.defaultAction, `${BASE}/defaultAction`);
  const defaultAction = actionValue(defaultName, sc.defaultErrnoRet, ERRNO.EPERM);
  const flags = filterFlags(sc, support);

  const filter = lib.newFilter(defaultAction);
  try {
    addArchitectures(lib, filter, sc);
    const syscalls = sc.syscalls ?? [];
    let notify = false;
    let added = 0;
    syscalls.forEach((rule, i) => {
      const at = `${BASE}/syscalls/${i}`;
      const name = usable(rule.action, `${at}/action`);
      const action = actionValue(name, rule.errnoRet, ERRNO.EPERM);
      if (action === defaultAction) return;
      if (name === 'SCMP_ACT_NOTIFY') notify = true;
      const groups = argumentGroups(rule.args ?? [], at);
      rule.names.forEach((syscall, j) => {
        const nr = lib.syscallNumber(lib.nativeArch(), syscall);
        if (nr === NR_SCMP_ERROR) return; // unknown to libseccomp: validation warned
        for (const args of groups) {
          const r = filter.addRule(action, nr, args);
          if (r < 0) throw invalid(`${at}/names/${j}`, `libseccomp cannot add the rule for "${syscall}" (${ruleError(-r)})`);
          added++;
        }
      });
    });
    // A binary tree of syscall numbers instead of a list: when the kernel loads a filter it runs
    // it for every syscall number (its action cache), and with a list that walk is most of the
    // load of a profile like podman's (README, Benchmarks). Not for a handful of rules (the tree
    // adds instructions), never for none (libseccomp 2.5 misbuilds an empty tree).
    if (added >= 32) filter.setOptimize(2);
    const bpf = withEnosysStub(lib, sc, filter.exportBpf());
    const instructions = bpf.length / SOCK_FILTER_SIZE;
    if (instructions > BPF_MAXINSNS) throw invalid(BASE, `the compiled filter has ${instructions} BPF instructions; the kernel takes at most ${BPF_MAXINSNS}`);
    if (!notify) {
      if (flags & SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
        const k = (sc.flags ?? []).indexOf('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
        throw invalid(`${BASE}/flags/${k}`, 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV applies to notifications, and no rule uses SCMP_ACT_NOTIFY');
      }
      return { bpf, flags };
    }
    if (sc.listenerPath === undefined) throw invalid(BASE, 'SCMP_ACT_NOTIFY needs listenerPath: the socket of the agent that answers the notifications');
    let withListener = flags | SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel takes TSYNC with a listener only when told how to report a thread it cannot sync.
    if (flags & SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC) withListener |= SECCOMP_FILTER_FLAG.SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    const listener = { path: sc.listenerPath, ...(sc.listenerMetadata !== undefined && { metadata: sc.listenerMetadata }) };
    return { bpf, flags: withListener, listener };
  } finally {
    filter.release();
  }
}

/** runc's -ENOSYS stub before the filter (lib/seccomp/enosys-stub.ts), when the default action calls for it. */
function withEnosysStub(lib: Libseccomp, sc: LinuxSeccomp, bpf: Buffer): Buffer {
  if (!needsEnosysStub(sc)) return bpf;
  const native = lib.nativeArch();
  const tokens = [native, ...(sc.architectures ?? []).map((a) => lib.archToken(libseccompArchName(a))).filter((t) => t !== 0)];
  const archs = { native, x86_64: lib.archToken('x86_64'), x32: lib.archToken('x32'), s390: lib.archToken('s390'), s390x: lib.archToken('s390x') };
  const stub = enosysStub(sc, lib, tokens, archs);
  return stub.length ? Buffer.concat([encodeSockFilters(stub), bpf]) : bpf;
}

function filterFlags(sc: LinuxSeccomp, support: SeccompSupport): number {
  let flags = 0;
  (sc.flags ?? []).forEach((flag, k) => {
    const name: string = flag;
    const bit = SECCOMP_FILTER_FLAG[name as SeccompFlagName];
    if (bit === undefined || name === 'SECCOMP_FILTER_FLAG_NEW_LISTENER' || name === 'SECCOMP_FILTER_FLAG_TSYNC_ESRCH') {
      throw invalid(`${BASE}/flags/${k}`, `unknown seccomp flag "${name}"`);
    }
    if (!support.flags.includes(name as SeccompFlagName)) {
      throw new OciError('ERR_NOT_SUPPORTED', `config.json: ${BASE}/flags/${k}: this kernel does not support the seccomp flag ${name} (seccomp(2) refuses it)`);
    }
    flags |= bit;
  });
  return flags;
}

/** The native architecture is always in the filter; the listed ones libseccomp knows join it. */
function addArchitectures(lib: Libseccomp, filter: SeccompFilter, sc: LinuxSeccomp): void {
  const EEXIST = 17;
  (sc.architectures ?? []).forEach((arch, k) => {
    const token = lib.archToken(libseccompArchName(arch));
    if (token === 0) return; // unknown to this libseccomp: validation warned
    const r = filter.addArch(token);
    if (r < 0 && -r !== EEXIST) throw invalid(`${BASE}/architectures/${k}`, `libseccomp cannot add architecture ${arch} (errno ${-r})`);
  });
}

/**
 * The comparisons of one rule, as libseccomp rules: one rule with all of them, or, when an
 * argument is compared twice (libseccomp cannot AND two comparisons of one argument), one rule
 * per comparison, as runc does.
 */
function argumentGroups(args: NonNullable<LinuxSeccomp['syscalls']>[number]['args'] & {}, at: string): ArgCompare[][] {
  const cmps = args.map((a, k): ArgCompare => {
    const op = OPERATORS[a.op as SeccompOperatorName];
    if (op === undefined) throw invalid(`${at}/args/${k}/op`, `unknown seccomp operator "${a.op}"`);
    if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw invalid(`${at}/args/${k}/index`, `argument index ${a.index} does not exist: a syscall has six arguments, 0 to 5`);
    return { index: a.index, op, a: toDatum(a.value as SeccompDatum, `${at}/args/${k}/value`), b: toDatum((a.valueTwo ?? 0) as SeccompDatum, `${at}/args/${k}/valueTwo`) };
  });
  if (!cmps.length) return [[]];
  const indexes = cmps.map((c) => c.index);
  return new Set(indexes).size === indexes.length ? [cmps] : cmps.map((c) => [c]);
}

function ruleError(errno: number): string {
  if (errno === 17) return 'it conflicts with an earlier rule for the same syscall and arguments';
  if (errno === 22) return 'invalid rule';
  if (errno === 14) return 'unknown syscall';
  return `errno ${errno}`;
}
