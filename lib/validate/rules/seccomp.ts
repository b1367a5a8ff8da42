// linux.seccomp: syscall names resolved per architecture by libseccomp, errno only with actions
// that return one, the notify listener, argument indexes. Actions, operators, flags and the
// spec's architecture list are the schema's enums.
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr, q, stringAt } from '../json.js';
import { NR_SCMP_ERROR, openLibseccomp, type Libseccomp } from '../../../bindings/libseccomp.js';
import { libseccompArchName } from '../../../bindings/seccomp.js';

const ERRNO_ACTIONS = new Set(['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE']);
const SYSCALL_NAME = /^[a-z_][a-z0-9_]*$/;

export default function seccomp(ctx: RuleContext): void {
  const sc = objectAt(objectAt(ctx.config.linux)?.seccomp);
  if (!sc) return;
  const base = '/linux/seccomp';
  const defaultAction = stringAt(sc.defaultAction);
  if (sc.defaultErrnoRet !== undefined && defaultAction !== undefined && !ERRNO_ACTIONS.has(defaultAction)) {
    ctx.error(`${base}/defaultErrnoRet`, 'seccomp-errno-action', `defaultErrnoRet is set but the default action ${defaultAction} returns no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`);
  }
  errnoRange(ctx, `${base}/defaultErrnoRet`, defaultAction, sc.defaultErrnoRet);
  if (defaultAction === 'SCMP_ACT_NOTIFY') {
    ctx.error(`${base}/defaultAction`, 'seccomp-notify-default', 'SCMP_ACT_NOTIFY cannot be the default action: the container could not even reach execve; use it on specific syscalls');
  }
  if (sc.listenerMetadata !== undefined && sc.listenerPath === undefined) {
    ctx.error(`${base}/listenerMetadata`, 'seccomp-listener-metadata', 'listenerMetadata is set without listenerPath: it is only sent to a seccomp agent at listenerPath');
  }

  const lib = openLibseccomp();
  const archs = archTokens(ctx, sc, lib);
  let notifyAt: string | undefined;
  arrayAt(sc.syscalls).forEach((entry, i) => {
    const rule = objectAt(entry);
    if (!rule) return;
    const at = ptr(base, 'syscalls', i);
    const action = stringAt(rule.action);
    if (action === 'SCMP_ACT_NOTIFY') notifyAt ??= ptr(at, 'action');
    if (rule.errnoRet !== undefined && action !== undefined && !ERRNO_ACTIONS.has(action)) {
      ctx.error(ptr(at, 'errnoRet'), 'seccomp-errno-action', `errnoRet is set but action ${action} returns no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)`);
    }
    errnoRange(ctx, ptr(at, 'errnoRet'), action, rule.errnoRet);
    arrayAt(rule.names).forEach((name, j) => {
      if (typeof name !== 'string') return;
      if (!SYSCALL_NAME.test(name)) {
        ctx.error(ptr(at, 'names', j), 'seccomp-syscall-name', `${q(name)} is not a syscall name (names are lower case, such as "openat")`);
        return;
      }
      if (lib && archs.length > 0 && archs.every((a) => syscallNumber(lib, a, name) === NR_SCMP_ERROR)) {
        const v = lib.version;
        ctx.warn(ptr(at, 'names', j), 'seccomp-syscall-unknown', `syscall ${q(name)} is unknown to libseccomp ${v.major}.${v.minor}.${v.micro} on every listed architecture: the rule for it is skipped`);
      }
    });
    arrayAt(rule.args).forEach((arg, k) => {
      const index = numberAt(objectAt(arg)?.index);
      if (index !== undefined && index > 5) ctx.error(ptr(at, 'args', k, 'index'), 'seccomp-arg-index', `argument index ${index} does not exist: a syscall has six arguments, 0 to 5`);
    });
  });
  if (notifyAt && sc.listenerPath === undefined) {
    ctx.error(notifyAt, 'seccomp-notify-listener', 'SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath: the socket of the agent that answers the notifications');
  }
}

/** An errno the kernel can return (1..4095), or a 16-bit trace value. */
function errnoRange(ctx: RuleContext, pointer: string, action: string | undefined, value: unknown): void {
  const n = numberAt(value);
  if (n === undefined || action === undefined) return;
  const max = action === 'SCMP_ACT_TRACE' ? 0xffff : 4095;
  if (n > max) ctx.error(pointer, 'seccomp-errno-range', `${n} is out of range for ${action}: at most ${max}${max === 4095 ? ' (the largest errno the kernel returns)' : ' (16 bits)'}`);
}

// Resolutions never change while the process runs; profiles repeat the same few hundred names.
const resolved = new Map<number, Map<string, number>>();
function syscallNumber(lib: Libseccomp, arch: number, name: string): number {
  let byName = resolved.get(arch);
  if (!byName) resolved.set(arch, (byName = new Map()));
  let nr = byName.get(name);
  if (nr === undefined) byName.set(name, (nr = lib.syscallNumber(arch, name)));
  return nr;
}

/** Tokens of the filter's architectures (the listed ones, and always the native one). */
function archTokens(ctx: RuleContext, sc: Record<string, unknown>, lib: Libseccomp | null): number[] {
  if (!lib) return [];
  const tokens = [lib.nativeArch()];
  arrayAt(sc.architectures).forEach((arch, i) => {
    if (typeof arch !== 'string' || !arch.startsWith('SCMP_ARCH_')) return;
    const token = lib.archToken(libseccompArchName(arch));
    if (token === 0) {
      const v = lib.version;
      ctx.warn(ptr('/linux/seccomp/architectures', i), 'seccomp-arch-unsupported', `libseccomp ${v.major}.${v.minor}.${v.micro} on this host does not know ${arch}: its syscalls cannot be filtered here`);
    } else if (!tokens.includes(token)) tokens.push(token);
  });
  return tokens;
}
