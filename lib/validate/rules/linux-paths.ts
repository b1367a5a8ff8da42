// linux.maskedPaths / readonlyPaths: absolute paths inside the container.
import type { RuleContext } from '../types.js';
import { arrayAt, objectAt, ptr, q } from '../json.js';

export default function linuxPaths(ctx: RuleContext): void {
  const linux = objectAt(ctx.config.linux);
  for (const field of ['maskedPaths', 'readonlyPaths'] as const) {
    arrayAt(linux?.[field]).forEach((path, i) => {
      if (typeof path === 'string' && !path.startsWith('/')) {
        ctx.error(ptr('/linux', field, i), 'linux-path-absolute', `${field} entry ${q(path)} must be an absolute path inside the container`);
      }
    });
  }
}
