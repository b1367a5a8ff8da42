// ocirun run <id>: create and start; in the foreground, forward signals, return the container's
// exit code and delete it afterwards (unless --keep). With --detach, return once it runs.
import { shellCode } from '../../lifecycle/exit.js';
import type { CommandMain } from '../program.js';
import { holdSignals } from '../forward-signals.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  const signals = opts.detach ? undefined : holdSignals();
  let container;
  ctx.logger.debug(`run ${id}: bundle ${opts.bundle}`);
  try {
    container = await rt.run(id, opts.bundle, createOptions(opts));
    ctx.logger.debug(`run ${id}: container process ${container.pid} started`);
  } catch (err) {
    signals?.stop();
    throw err;
  }
  if (!signals) return 0;
  const c = container;
  signals.deliverTo((sig) => void c.kill(sig).catch(() => {}));
  try {
    const status = await c.wait();
    ctx.logger.debug(`run ${id}: process ${c.pid} exited with ${status.signal ?? `status ${status.code}`}`);
    return shellCode(status);
  } finally {
    signals.stop();
    if (!opts.keep) await c.delete({ force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
