// annotations: keys non-empty; org.opencontainers.* only the keys the spec defines.
import type { RuleContext } from '../types.js';
import { objectAt, ptr, q } from '../json.js';
import { closest } from '../suggest.js';

/** The keys config.md allows in the reserved org.opencontainers namespace. */
export const SPEC_ANNOTATIONS = [
  'org.opencontainers.image.os',
  'org.opencontainers.image.os.version',
  'org.opencontainers.image.os.features',
  'org.opencontainers.image.architecture',
  'org.opencontainers.image.variant',
  'org.opencontainers.image.author',
  'org.opencontainers.image.created',
  'org.opencontainers.image.stopSignal',
];

export default function annotations(ctx: RuleContext): void {
  const table = objectAt(ctx.config.annotations);
  if (!table) return;
  for (const key of Object.keys(table)) {
    const at = ptr('/annotations', key);
    if (key === '') {
      ctx.error(at, 'annotation-key-empty', 'annotation key is empty: keys name what they annotate, such as "com.example.key"');
    } else if (key.startsWith('org.opencontainers.') && !SPEC_ANNOTATIONS.includes(key)) {
      const hint = closest(key, SPEC_ANNOTATIONS);
      ctx.warn(at, 'annotation-reserved', `annotation ${q(key)} is in the reserved org.opencontainers namespace but not defined by the spec${hint ? ` (did you mean ${q(hint)}?)` : ''}`);
    }
  }
}
