// ocirun start <id>: run the program of a created container.
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id]) => {
  await (await containerFor(ctx, id)).start();
  ctx.logger.debug(`start ${id}: the container process went on to exec`);
};

export default main;
