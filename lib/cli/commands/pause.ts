// ocirun pause <id>: freeze every process of the container through its cgroup (state paused)
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id]) => {
  await (await containerFor(ctx, id)).pause();
};

export default main;
