// Loading the container's seccomp filter (compiled by lib/seccomp/compile.ts) in the container
// process. Where, as runc does it: with no_new_privs the filter goes on as late as possible, after
// the credentials, so the fewest of the runtime's own calls run under it; without no_new_privs
// loading a filter needs CAP_SYS_ADMIN, so it goes on before the capabilities are dropped. Either
// way it is on before `create` reports the container created: a filter the kernel refuses fails
// `create`, and a notify listener reaches its agent while `create` still runs.
import { SECCOMP_SET_MODE_FILTER, SOCK_FILTER_SIZE, SOCK_FPROG_FILTER_OFFSET, sockFprog } from '../../bindings/seccomp.js';
import type { CompiledSeccomp } from '../seccomp/compile.js';
import type { PlanContext } from './context.js';
import { planWaitForParent, SYNC_SECCOMP } from './sync.js';

/** Whether the filter goes on before the credentials (no no_new_privs) or after them. */
export function seccompBeforeCredentials(noNewPrivileges: boolean | undefined): boolean {
  return !noNewPrivileges;
}

export function planSeccomp(ctx: PlanContext, filter: CompiledSeccomp, syncFd: number): void {
  const b = ctx.b;
  const instructions = filter.bpf.length / SOCK_FILTER_SIZE;
  const code = b.bytes(filter.bpf);
  const prog = b.struct(sockFprog(instructions), [{ at: SOCK_FPROG_FILTER_OFFSET, to: code }]);
  const what = `load the seccomp filter (${instructions} BPF instructions, flags 0x${filter.flags.toString(16)})`;
  if (!filter.listener) {
    b.syscall('seccomp', [SECCOMP_SET_MODE_FILTER, filter.flags, prog], what);
    return;
  }
  // The listener: its number goes to the runtime, which takes a copy with pidfd_getfd and hands
  // it to the agent at listenerPath; then ours is closed.
  const listener = ctx.regs.tmp;
  b.syscall('seccomp', [SECCOMP_SET_MODE_FILTER, filter.flags, prog], what, { save: listener });
  const message = Buffer.alloc(8);
  message.writeUInt32LE(SYNC_SECCOMP >>> 0, 0);
  const msg = b.bytes(message);
  b.syscall('write', [syncFd, msg, 8], 'tell the runtime the seccomp listener fd', { patches: [{ at: msg.at(4), reg: listener, width: 4 }] });
  planWaitForParent(ctx, syncFd, `wait for the runtime to send the seccomp listener to ${filter.listener.path}`);
  b.syscall('close', [listener], 'close the seccomp listener');
}
