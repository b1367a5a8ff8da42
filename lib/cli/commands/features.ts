// ocirun features: print the features document (runtime-spec features.md) of this build.
import type { CommandMain } from '../program.js';
import { features } from '../../features.js';
import { writeOut } from '../output.js';

const main: CommandMain = async () => {
  writeOut(JSON.stringify(features(), null, 4) + '\n');
  return 0;
};

export default main;
