// The protocol between the runtime and the executor, in one folder:
//   messages.ts      the sync messages and their order (this file)
//   child-fds.ts     the fd numbers the executor is given
//   init-channel.ts  the runtime's end of the sync socket
//   the program format itself is ABI shared with bindings/executor.c: bindings/program-format.ts
//   (what a cached program needs) and bindings/program.ts (the builder).
//
// Every message from the child is 8 bytes {u32 tag, i32 value}:
//
//   child                                   parent
//   ─────                                   ──────
//   READY  (namespaces exist)          ──▶  the parent's step (lib/lifecycle/parent-step.ts):
//                                           uid/gid maps, time offsets, oom_score_adj
//          wait for GO                 ◀──  GO (1 byte)
//          (READY/GO only when the runtime has something to write: NamespacePhase.parentStep)
//   PID    (from a forking op: the new child's pid; the forking process exits). It comes from
//          another process than READY and CREATED, so it can arrive after either of them.
//   SECCOMP (value: the listener fd)   ──▶  take it with pidfd_getfd, send it and the state to
//          wait for GO                 ◀──  the agent (lib/seccomp/agent.ts); GO. Only with
//                                           SCMP_ACT_NOTIFY rules.
//   HOOKS  (mounts done, before pivot_root) ──▶ run the prestart, createRuntime and
//          wait for GO                 ◀──  createContainer hooks (lib/hooks/); GO. Only when
//                                           config.json has such hooks.
//   CREATED (rootfs and process set up) ──▶ record state; `create` returns
//          open exec fifo (blocks until `start`: lib/lifecycle/start-gate.ts), then execve
//   {op index, errno}  on any failure; end of file when execve succeeded (the socket is CLOEXEC)
import { MSG_PID, MSG_SYNC_BASE } from '../../bindings/program-format.js';

export const SYNC_READY = MSG_SYNC_BASE + 1;
export const SYNC_CREATED = MSG_SYNC_BASE + 2;
export const SYNC_SECCOMP = MSG_SYNC_BASE + 3;
export const SYNC_HOOKS = MSG_SYNC_BASE + 4;
/** The parent's answer to READY. */
export const SYNC_GO = 'g';
export { MSG_PID, MSG_SYNC_BASE };
