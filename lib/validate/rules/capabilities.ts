// process.capabilities: names of the form CAP_X, and known to this runtime. Both are warnings, as
// the spec asks: a capability that cannot be mapped to the kernel is logged, not fatal.
import type { RuleContext } from '../types.js';
import { arrayAt, objectAt, ptr, q } from '../json.js';
import { CAPABILITY_NAMES, isCapabilityName } from '../../spec/capabilities.js';
import { closest } from '../suggest.js';

const SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

export default function capabilities(ctx: RuleContext): void {
  const caps = objectAt(objectAt(ctx.config.process)?.capabilities);
  if (!caps) return;
  for (const set of SETS) {
    arrayAt(caps[set]).forEach((name, i) => {
      if (typeof name !== 'string' || isCapabilityName(name)) return;
      const at = ptr('/process/capabilities', set, i);
      const hint = closest(name, CAPABILITY_NAMES, true);
      if (!/^CAP_[A-Z0-9_]+$/.test(name)) {
        ctx.warn(at, 'capability-name-format', `${q(name)} is not a capability name: names are upper case and start with CAP_${hint ? ` (did you mean ${q(hint)}?)` : ''}; it will be ignored`);
      } else {
        ctx.warn(at, 'capability-unknown', `unknown capability ${q(name)}${hint ? ` (did you mean ${q(hint)}?)` : ''}: it will be ignored`);
      }
    });
  }
}
