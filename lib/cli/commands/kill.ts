// ocirun kill [--all] <id> [signal]: signal the container process (default SIGTERM).
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id, signal], opts) => {
  await (await containerFor(ctx, id)).kill(signal ?? 'SIGTERM', { all: opts.all });
  ctx.logger.debug(`kill ${id}: sent ${signal ?? 'SIGTERM'}${opts.all ? ' to every process' : ''}`);
};

export default main;
