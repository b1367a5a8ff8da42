// ocirun events: needs the container's cgroup, which ocirun does not manage yet.
import { OciError } from '../../errors.js';
import type { CommandMain } from '../program.js';

const main: CommandMain = async () => {
  throw new OciError('ERR_NOT_SUPPORTED', 'events: needs cgroup support, which ocirun does not have yet');
};

export default main;
