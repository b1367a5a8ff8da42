// ocirun spec [--bundle DIR] [--rootless]: write the default config.json, as `runc spec` does
// (and, like runc, never over an existing one).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandMain } from '../program.js';
import { defaultSpec, formatSpec } from '../../spec/default-config.js';
import { OciError } from '../../errors.js';

const main: CommandMain = async (_ctx, _args, opts) => {
  const bundle: string = opts.bundle ?? '.';
  const file = join(bundle, 'config.json');
  try {
    // 'wx' fails with EEXIST instead of replacing a config someone wrote.
    writeFileSync(file, formatSpec(defaultSpec({ rootless: Boolean(opts.rootless) })), { flag: 'wx' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OciError('ERR_INVALID_ARGUMENT', `File ${file} exists. Remove it first`);
    if (code === 'ENOENT') throw new OciError('ERR_INVALID_ARGUMENT', `bundle directory ${bundle} does not exist`);
    throw new OciError('ERR_INVALID_ARGUMENT', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
  return 0;
};

export default main;
