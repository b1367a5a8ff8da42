// Warns about fields the spec does not define (the schemas let them pass), suggesting the known
// field a misspelling most likely meant.
import type { RuleContext } from './types.js';
import type { Shape } from './validators.js';
import { isObject, ptr, q } from './json.js';
import { closest } from './suggest.js';

export function checkUnknownFields(ctx: RuleContext, value: unknown, shape: Shape, at = ''): void {
  if (Array.isArray(value)) {
    if (shape.i) value.forEach((item, i) => checkUnknownFields(ctx, item, shape.i!, ptr(at, i)));
    return;
  }
  if (!isObject(value)) return;
  if (shape.m) {
    for (const [key, v] of Object.entries(value)) checkUnknownFields(ctx, v, shape.m, ptr(at, key));
    return;
  }
  if (!shape.f) return;
  for (const [key, v] of Object.entries(value)) {
    const known = shape.f[key];
    if (known) {
      checkUnknownFields(ctx, v, known, ptr(at, key));
      continue;
    }
    const hint = closest(key, Object.keys(shape.f));
    const where = at === '' ? 'at the top level' : `in ${at}`;
    ctx.warn(ptr(at, key), 'unknown-field', `unknown field ${q(key)} ${where}${hint ? ` (did you mean ${q(hint)}?)` : ''}: it is ignored`);
  }
}
