// runc events: a container's stats every interval and an event for every OOM kill in its memory
// cgroup, until it stops. OOM kills are noticed by polling the kernel's count (memory.oom_control
// on v1, memory.events on v2) every 100 ms: one small read, on every layout.
import { EventEmitter } from 'node:events';
import { cgroupStats, oomKills, type CgroupStats } from '../cgroups/stats.js';
import type { CgroupRecord } from '../cgroups/record.js';

const OOM_POLL_MS = 100;

export interface ResourceEvents extends EventEmitter {
  on(event: 'stats', listener: (stats: CgroupStats) => void): this;
  on(event: 'oom', listener: () => void): this;
  /** The container stopped; no more events. */
  on(event: 'exit', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  stop(): void;
}

export function watchContainer(cg: CgroupRecord, alive: () => boolean, intervalMs: number): ResourceEvents {
  const em = new EventEmitter() as ResourceEvents;
  let kills = oomKills(cg);
  let sinceStats = 0;
  const tick = () => {
    try {
      const now = oomKills(cg);
      for (; kills < now; kills++) em.emit('oom');
      if (!alive()) {
        em.stop();
        em.emit('exit');
        return;
      }
      sinceStats += OOM_POLL_MS;
      if (sinceStats >= intervalMs) {
        sinceStats = 0;
        em.emit('stats', cgroupStats(cg));
      }
    } catch (err) {
      em.stop();
      em.emit('error', err as Error);
    }
  };
  const timer = setInterval(tick, OOM_POLL_MS);
  em.stop = () => clearInterval(timer);
  // The first stats at once, as runc prints them.
  setImmediate(() => em.emit('stats', cgroupStats(cg)));
  return em;
}
