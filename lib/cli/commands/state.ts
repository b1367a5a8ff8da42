// ocirun state <id>: the state of runtime.md, as JSON (indented like runc's).
import type { CommandMain } from '../program.js';
import { containerFor } from '../runtime-for.js';
import { writeOut } from '../output.js';

const main: CommandMain = async (ctx, [id]) => {
  writeOut(JSON.stringify(await (await containerFor(ctx, id)).state(), null, 2) + '\n');
};

export default main;
