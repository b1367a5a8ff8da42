// Turns ajv's schema errors into problems with messages a person can read.
import type { Problem } from './types.js';
import type { SchemaError } from './validators.js';
import { ptr, q } from './json.js';

function valueAt(doc: unknown, pointer: string): unknown {
  let node: any = doc;
  for (const token of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

function describe(err: SchemaError, value: unknown): string {
  const p = err.params;
  switch (err.keyword) {
    case 'required':
      return `required field ${q(p.missingProperty)} is missing`;
    case 'type': {
      const want = String(p.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return `must be ${want}, not ${kindOf(value)}`;
    }
    case 'enum':
      return `${q(value)} is not an allowed value; expected one of ${(p.allowedValues as unknown[]).map((v) => q(v)).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${q(value)} is out of range: must be ${p.comparison} ${p.limit}`;
    case 'pattern':
      return `${q(value)} does not have the expected form (pattern ${p.pattern})`;
    case 'minItems':
      return `must have at least ${p.limit} ${p.limit === 1 ? 'entry' : 'entries'}`;
    case 'maxItems':
      return `must have at most ${p.limit} ${p.limit === 1 ? 'entry' : 'entries'}`;
    case 'minLength':
      return `must be at least ${p.limit} character${p.limit === 1 ? '' : 's'} long`;
    case 'uniqueItems':
      return `must not contain duplicates (entries ${p.j} and ${p.i} are equal)`;
    case 'additionalProperties':
      return `field ${q(p.additionalProperty)} is not allowed here`;
    default:
      return err.message ?? `fails the schema's ${err.keyword} check`;
  }
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'allOf']);

export function schemaProblems(errors: SchemaError[], doc: unknown): Problem[] {
  // anyOf/oneOf summaries repeat what a branch already said more precisely; keep them only
  // when nothing below them was reported.
  const kept = errors.filter(
    (e) =>
      !COMBINATORS.has(e.keyword) ||
      !errors.some((o) => o !== e && !COMBINATORS.has(o.keyword) && (o.instancePath + '/').startsWith(e.instancePath + '/')),
  );
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const err of kept) {
    const pointer = err.keyword === 'required' ? ptr(err.instancePath, err.params.missingProperty) : err.instancePath;
    const message = describe(err, valueAt(doc, err.instancePath));
    const key = `${pointer}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ severity: 'error', pointer, message, rule: `schema/${err.keyword}` });
  }
  return out;
}
