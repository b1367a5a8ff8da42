// ocirun checkpoint / restore: runc's verbs, with runc's flags, refused clearly: checkpoint and
// restore need CRIU, which ocirun does not drive.
import { OciError } from '../../errors.js';
import type { CommandMain } from '../program.js';

const main: CommandMain = async (ctx, [id]) => {
  void ctx;
  throw new OciError('ERR_NOT_SUPPORTED', `checkpoint/restore ${id}: not supported: ocirun has no CRIU support`);
};

export default main;
