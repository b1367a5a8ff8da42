// ocirun run <id>: create and start; in the foreground, forward signals, return the container's
// exit code and delete it afterwards (unless --keep). With --detach, return once it runs.
import type { CommandMain } from '../program.js';
import { holdSignals } from '../forward-signals.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  const signals = opts.detach ? undefined : holdSignals();
  let handle;
  ctx.logger.debug(`run ${id}: bundle ${opts.bundle}`);
  try {
    handle = await rt.run(id, opts.bundle, createOptions(opts));
    ctx.logger.debug(`run ${id}: container process ${handle.pid} started`);
  } catch (err) {
    signals?.stop();
    throw err;
  }
  if (!signals) return 0;
  signals.deliverTo((sig) => rt.kill(id, sig));
  try {
    const status = await handle.wait();
    ctx.logger.debug(`run ${id}: process ${handle.pid} exited with status ${status.code}${status.signal !== undefined ? ` (signal ${status.signal})` : ''}`);
    return status.code;
  } finally {
    signals.stop();
    if (!opts.keep) await rt.delete(id, { force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
