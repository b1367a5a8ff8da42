// The parent ↔ child protocol. Every message from the child is 8 bytes {u32 tag, i32 value}:
//
//   child                                   parent
//   ─────                                   ──────
//   READY  (namespaces exist)          ──▶  write uid/gid maps, time offsets, oom_score_adj
//          wait for GO                 ◀──  GO (1 byte)
//          (READY/GO only when the runtime has something to write: NamespacePhase.parentStep)
//   PID    (from a forking op: the new child's pid; the forking process exits). It comes from
//          another process than READY and CREATED, so it can arrive after either of them.
//   CREATED (rootfs and process set up) ──▶ record state; `create` returns
//          open exec fifo (blocks until `start`), then execve
//   {op index, errno}  on any failure; end of file when execve succeeded (the socket is CLOEXEC)
import { MSG_PID, MSG_SYNC_BASE } from '../../bindings/program-format.js';
import type { PlanContext } from './context.js';

export const SYNC_READY = MSG_SYNC_BASE + 1;
export const SYNC_CREATED = MSG_SYNC_BASE + 2;
export { MSG_PID };

function marker(tag: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(tag >>> 0, 0);
  return b;
}

export function planSignal(ctx: PlanContext, syncFd: number, tag: number, description: string): void {
  ctx.b.syscall('write', [syncFd, ctx.b.bytes(marker(tag)), 8], description);
}

/** Block until the parent answers with one byte; end of file means the parent gave up. */
export function planWaitForParent(ctx: PlanContext, syncFd: number, description: string): void {
  ctx.b.syscall('read', [syncFd, ctx.b.zeroed(8), 1], description, { nonzero: true });
}
