// ocirun delete [--force] <id>: remove a stopped container (with --force, kill it first).
import type { CommandMain } from '../program.js';
import { runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  const rt = runtimeFor(ctx);
  // runc: deleting a container that does not exist is not an error with --force.
  if (opts.force && !rt.store.exists(id)) return 0;
  await rt.delete(id, { force: opts.force });
};

export default main;
