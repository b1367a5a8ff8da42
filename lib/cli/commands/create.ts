// ocirun create <id> --bundle DIR: set the container up; its program waits for `start`.
import type { CommandMain } from '../program.js';
import { listenFds, runtimeFor } from '../runtime-for.js';

const main: CommandMain = async (ctx, [id], opts) => {
  await runtimeFor(ctx).create(id, opts.bundle, {
    pidFile: opts.pidFile,
    noPivot: opts.pivot === false,
    noNewKeyring: opts.newKeyring === false,
    preserveFds: opts.preserveFds,
    listenFds: listenFds(),
    consoleSocket: opts.consoleSocket,
  });
};

export default main;
