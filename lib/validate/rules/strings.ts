// Strings the kernel takes as C strings end at the first NUL byte: a path, option or argument
// with one inside would be cut short, so it is refused (runc: "invalid argument"). Annotations
// never reach the kernel and may hold anything.
import type { RuleContext } from '../types.js';
import { ptr } from '../json.js';

export default function stringRules(ctx: RuleContext): void {
  const stack: [unknown, string][] = [[ctx.config, '']];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (at === '/annotations') continue;
    if (typeof v === 'string') {
      if (v.includes('\0')) ctx.error(at, 'string-nul', `${JSON.stringify(v)} contains a NUL byte: the kernel takes C strings, which end at the first NUL`);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, ptr(at, i)]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        const child = ptr(at, k);
        if (k.includes('\0')) ctx.error(child, 'string-nul', `field name ${JSON.stringify(k)} contains a NUL byte: the kernel takes C strings, which end at the first NUL`);
        stack.push([x, child]);
      }
    }
  }
}
