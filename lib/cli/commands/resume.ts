// ocirun resume <id>: thaw a paused container
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id]) => {
  await (await containerFor(ctx, id)).resume();
};

export default main;
