// ocirun create <id> --bundle DIR: set the container up; its program waits for `start`.
import type { CommandMain } from '../program.js';
import { createOptions, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  await runtimeFor(ctx).create(id, opts.bundle, createOptions(opts));
};

export default main;
