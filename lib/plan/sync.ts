// The program's side of the sync protocol (lib/protocol/messages.ts): writing a message and
// waiting for the parent's answer.
import { SYNC_CREATED, SYNC_HOOKS, SYNC_READY, SYNC_SECCOMP } from '../protocol/messages.js';
import type { PlanContext } from './context.js';

export { SYNC_CREATED, SYNC_HOOKS, SYNC_READY, SYNC_SECCOMP };

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
