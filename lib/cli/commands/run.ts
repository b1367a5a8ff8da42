// ocirun run <id>: create and start; in the foreground, forward signals, return the container's
// exit code and delete it afterwards (unless --keep). With --detach, return once it runs.
import type { CommandMain } from '../program.js';
import { holdSignals } from '../forward-signals.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  const signals = opts.detach ? undefined : holdSignals();
  let handle;
  try {
    handle = await rt.run(id, opts.bundle, createOptions(opts));
  } catch (err) {
    signals?.stop();
    throw err;
  }
  if (!signals) return 0;
  signals.deliverTo((sig) => rt.kill(id, sig));
  try {
    const status = await handle.wait();
    return status.code;
  } finally {
    signals.stop();
    if (!opts.keep) await rt.delete(id, { force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
