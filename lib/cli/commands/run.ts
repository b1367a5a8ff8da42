// ocirun run <id>: create and start; in the foreground, forward signals, relay a terminal's pty,
// return the container's exit code and delete it afterwards (unless --keep). With --detach,
// return once it runs (a terminal's master then goes to --console-socket).
import { shellCode } from '../../lifecycle/exit.js';
import type { CommandMain } from '../program.js';
import { holdSignals } from '../forward-signals.js';
import { consoleSocketOutsideDetach, createOptions, runtimeFor } from '../runtime-for.js';
import { relayTerminal } from '../terminal-relay.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  consoleSocketOutsideDetach(opts);
  const signals = opts.detach ? undefined : holdSignals();
  let container;
  ctx.logger.debug(`run ${id}: bundle ${opts.bundle}`);
  try {
    container = await rt.run(id, opts.bundle, { ...createOptions(opts), detached: opts.detach });
    ctx.logger.debug(`run ${id}: container process ${container.pid} started`);
  } catch (err) {
    signals?.stop();
    throw err;
  }
  if (!signals) return 0;
  const c = container;
  const relay = c.terminal ? relayTerminal(c.terminal) : undefined;
  // With a pty, a resize of ocirun's terminal is the pty's resize (the kernel signals the process).
  signals.deliverTo((sig) => (relay && sig === 'SIGWINCH' ? relay.resize() : void c.kill(sig).catch(() => {})));
  try {
    await relay?.ready;
    const status = await c.wait();
    await relay?.finish();
    ctx.logger.debug(`run ${id}: process ${c.pid} exited with ${status.signal ?? `status ${status.code}`}`);
    return shellCode(status);
  } finally {
    signals.stop();
    await relay?.finish();
    if (!opts.keep) await c.delete({ force: true }).catch((err) => ctx.logger.warn(`delete ${id}: ${(err as Error).message}`));
  }
};

export default main;
