// ocirun kill [--all] <id> [signal]: signal the container process (default SIGTERM).
import type { CommandMain } from '../program.js';
import { runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id, signal], opts) => {
  runtimeFor(ctx).kill(id, signal ?? 'SIGTERM', { all: opts.all });
  ctx.logger.debug(`kill ${id}: sent ${signal ?? 'SIGTERM'}${opts.all ? ' to every process' : ''}`);
};

export default main;
