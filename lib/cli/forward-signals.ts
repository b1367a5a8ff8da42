// A foreground `run` or `exec` passes the signals it receives on to the container's process,
// as runc does, so Ctrl-C and `kill <ocirun pid>` reach the program.
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

/**
 * Listen from now on, before the process exists (it runs the moment it is set up): signals that
 * arrive meanwhile are held, then delivered once `deliverTo` names the target (one that Node has
 * not yet passed to a listener reaches it at the event loop's next turn, which the wait for the
 * process begins with). Without this, a signal during set-up would kill ocirun and orphan the
 * process. After `stop`, signals are ignored until ocirun ends, which it does at once: removing
 * the eight listeners cost ~0.3 ms, and a signal then cannot cut short the container's deletion
 * (as runc ignores them while it destroys a container).
 */
export function holdSignals(): { deliverTo: (send: (signal: string) => void) => void; stop: () => void } {
  const held: string[] = [];
  let target: ((signal: string) => void) | undefined;
  let stopped = false;
  const deliver = (send: (signal: string) => void, sig: string) => {
    try {
      send(sig);
    } catch {
      // The process is gone: its exit ends the wait.
    }
  };
  for (const sig of FORWARDED) {
    process.on(sig, () => {
      if (stopped) return;
      if (target) deliver(target, sig);
      else held.push(sig);
    });
  }
  return {
    deliverTo(send) {
      target = send;
      for (const sig of held.splice(0)) deliver(send, sig);
    },
    stop() {
      stopped = true;
    },
  };
}
