// hooks: absolute paths; prestart is deprecated. (timeout > 0 is the schema's `minimum: 1`.)
import type { RuleContext } from '../types.js';
import { arrayAt, objectAt, ptr, q, stringAt } from '../json.js';

const STAGES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;

export default function hooks(ctx: RuleContext): void {
  const all = objectAt(ctx.config.hooks);
  if (!all) return;
  for (const stage of STAGES) {
    const entries = arrayAt(all[stage]);
    if (stage === 'prestart' && entries.length > 0) {
      ctx.warn('/hooks/prestart', 'hook-prestart-deprecated', 'prestart hooks are deprecated: use createRuntime (same point of the lifecycle, runtime namespace)');
    }
    entries.forEach((hook, i) => {
      const path = stringAt(objectAt(hook)?.path);
      if (path !== undefined && !path.startsWith('/')) {
        ctx.error(ptr('/hooks', stage, i, 'path'), 'hook-path-absolute', `hook path ${q(path)} must be absolute (hooks are not looked up in PATH)`);
      }
    });
  }
}
