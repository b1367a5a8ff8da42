// ocirun start <id>: run the program of a created container.
import type { CommandMain } from '../program.js';
import { runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id]) => {
  await runtimeFor(ctx).start(id);
  ctx.logger.debug(`start ${id}: the container process went on to exec`);
};

export default main;
