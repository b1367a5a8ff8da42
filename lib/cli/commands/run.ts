// ocirun run <id>: create and start; in the foreground, forward signals, return the container's
// exit code and delete it afterwards (unless --keep). With --detach, return once it runs.
import type { CommandMain } from '../program.js';
import { forwardSignals } from '../forward-signals.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  // Listen before the program starts (it runs at once): a signal arriving while `run` still
  // sets up would otherwise kill ocirun and orphan the container. Held until it exists.
  const held: string[] = [];
  let send: (sig: string) => void = (sig) => {
    held.push(sig);
  };
  const stop = opts.detach ? () => {} : forwardSignals((sig) => send(sig));
  let handle;
  try {
    handle = await rt.run(id, opts.bundle, createOptions(opts));
  } catch (err) {
    stop();
    throw err;
  }
  if (opts.detach) return 0;
  send = (sig) => rt.kill(id, sig);
  for (const sig of held.splice(0)) {
    try {
      send(sig);
    } catch {
      // Already exited: its exit ends the wait.
    }
  }
  try {
    const status = await handle.wait();
    return status.code;
  } finally {
    stop();
    if (!opts.keep) await rt.delete(id, { force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
