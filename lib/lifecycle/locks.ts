// The per-container lock, taken by start and delete. Across processes it is a flock on the
// container's state directory (lib/state/store.ts). Within one event-driven process a blocking
// flock would stop the event loop, and a second flock on the same directory (start awaiting the
// exec fifo, delete in the same process) would never be granted: so verbs queue in this process
// first, then try the flock without blocking, retrying on a timer while another process holds it.
// A one-shot CLI process (blocking) just blocks in flock(2).
import type { StateStore } from '../state/store.js';
import type { Operation } from './operation.js';

export class Locks {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: StateStore,
    private readonly blocking: boolean,
  ) {}

  /** Resolves with the unlock function once this process holds the container's lock. */
  async acquire(id: string, op?: Operation): Promise<() => void> {
    if (this.blocking) return this.store.lock(id);
    const before = this.queues.get(id);
    let leave!: () => void;
    const mine = new Promise<void>((resolve) => (leave = resolve));
    const tail = (before ?? Promise.resolve()).then(() => mine);
    this.queues.set(id, tail);
    const release = () => {
      leave();
      if (this.queues.get(id) === tail) this.queues.delete(id);
    };
    try {
      if (before) await (op?.signal ? Promise.race([before, op.cancelled()]) : before);
      for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
        op?.check();
        const unlock = this.store.tryLock(id);
        if (unlock) {
          return () => {
            try {
              unlock();
            } finally {
              release();
            }
          };
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    } catch (err) {
      release();
      throw err;
    }
  }
}
