// ocirun run <id>: create and start; in the foreground, forward signals, return the container's
// exit code and delete it afterwards (unless --keep). With --detach, return once it runs.
import type { CommandMain } from '../program.js';
import { forwardSignals } from '../forward-signals.js';
import { listenFds, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  const handle = await rt.run(id, opts.bundle, {
    pidFile: opts.pidFile,
    noPivot: opts.pivot === false,
    noNewKeyring: opts.newKeyring === false,
    preserveFds: opts.preserveFds,
    listenFds: listenFds(),
    consoleSocket: opts.consoleSocket,
  });
  if (opts.detach) return 0;
  const stop = forwardSignals((sig) => rt.kill(id, sig));
  try {
    const status = await handle.wait();
    return status.code;
  } finally {
    stop();
    if (!opts.keep) await rt.delete(id, { force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
