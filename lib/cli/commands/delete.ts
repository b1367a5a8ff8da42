// ocirun delete [--force] <id>: remove a stopped container (with --force, kill it first).
import { isOciError } from '../../errors.js';
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  let container;
  try {
    container = await containerFor(ctx, id);
  } catch (err) {
    // runc: deleting a container that does not exist is not an error with --force.
    if (opts.force && isOciError(err) && err.code === 'ERR_CONTAINER_NOT_EXIST') return 0;
    throw err;
  }
  await container.delete({ force: opts.force });
};

export default main;
