// A foreground `run` or `exec` passes the signals it receives on to the container's process,
// as runc does, so Ctrl-C and `kill <ocirun pid>` reach the program.
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

export function forwardSignals(send: (signal: string) => void): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      try {
        send(sig);
      } catch {
        // The process is gone: its exit will end the wait.
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/**
 * Listen from now on, before the process exists (it runs the moment it is set up): signals that
 * arrive meanwhile are held, then delivered once `deliverTo` names the target. Without this, a
 * signal during set-up would kill ocirun and orphan the process.
 */
export function holdSignals(): { deliverTo: (send: (signal: string) => void) => void; stop: () => void } {
  const held: string[] = [];
  let target: ((signal: string) => void) | undefined;
  const stop = forwardSignals((sig) => (target ? target(sig) : held.push(sig)));
  return {
    deliverTo(send) {
      target = send;
      for (const sig of held.splice(0)) {
        try {
          send(sig);
        } catch {
          // Already exited: its exit ends the wait.
        }
      }
    },
    stop,
  };
}
