// ocirun create <id> --bundle DIR: set the container up; its program waits for `start`.
import type { CommandMain } from '../program.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  ctx.logger.debug(`create ${id}: bundle ${opts.bundle}`);
  const container = await runtimeFor(ctx).create(id, opts.bundle, { ...createOptions(opts), detached: true });
  ctx.logger.debug(`create ${id}: container process ${container.pid} waits for start`);
};

export default main;
