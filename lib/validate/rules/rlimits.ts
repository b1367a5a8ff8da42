// process.rlimits: known types, each once, soft <= hard.
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr, q, stringAt } from '../json.js';
import { isRlimitName, RLIMITS } from '../../spec/rlimits.js';
import { closest } from '../suggest.js';

export default function rlimits(ctx: RuleContext): void {
  const seen = new Map<string, number>();
  arrayAt(objectAt(ctx.config.process)?.rlimits).forEach((entry, i) => {
    const r = objectAt(entry);
    const type = stringAt(r?.type);
    const at = ptr('/process/rlimits', i);
    if (type === undefined) return;
    if (!isRlimitName(type)) {
      const hint = closest(type, Object.keys(RLIMITS), true);
      const known = hint ? `did you mean ${q(hint)}?` : `Linux knows ${Object.keys(RLIMITS).join(', ')}`;
      ctx.error(ptr(at, 'type'), 'rlimit-type-known', `unknown rlimit type ${q(type)} (${known})`);
    }
    const first = seen.get(type);
    if (first !== undefined) ctx.error(ptr(at, 'type'), 'rlimit-unique', `rlimit ${type} is set twice (also at /process/rlimits/${first})`);
    else seen.set(type, i);
    const soft = numberAt(r?.soft);
    const hard = numberAt(r?.hard);
    if (soft !== undefined && hard !== undefined && soft > hard) {
      ctx.error(ptr(at, 'soft'), 'rlimit-soft-above-hard', `${type}: the soft limit ${soft} is above the hard limit ${hard}`);
    }
  });
}
