// What one Runtime's verbs share: its state store, plan cache, locks and way of waiting. Not
// part of the public API (a Runtime keeps it in a private field).
import type { StateStore } from '../state/store.js';
import type { Locks } from './locks.js';
import type { PlanCache } from './plan-cache.js';

export interface Context {
  readonly store: StateStore;
  readonly plans: PlanCache;
  readonly locks: Locks;
  readonly warn: (message: string) => void;
  /** Wait in blocking system calls (a one-shot CLI process), not through the event loop. */
  readonly blocking: boolean;
  /** Rootless mode (lib/host/rootless.ts). */
  readonly rootless: boolean;
}
