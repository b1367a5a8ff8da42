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
