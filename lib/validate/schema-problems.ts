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
  // A library caller's object (a hole in an array, a field set to undefined).
  if (v === undefined) return 'undefined';
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

/** S_IFIFO, S_IFCHR, S_IFBLK: the type bits of st_mode that podman and others put in fileMode. */
const DEVICE_TYPE_BITS = new Set([0o010000, 0o020000, 0o060000]);

/** A device's fileMode that is st_mode (type bits and permissions) rather than permissions alone. */
function withFileType(pointer: string, value: unknown): boolean {
  return /^\/linux\/devices\/\d+\/fileMode$/.test(pointer) && Number.isInteger(value) && DEVICE_TYPE_BITS.has((value as number) & ~0o7777);
}

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
    const value = valueAt(doc, err.instancePath);
    if (err.keyword === 'maximum' && withFileType(err.instancePath, value)) {
      const v = value as number;
      const message = `fileMode ${v} (0o${v.toString(8)}) carries the file type bits; only the permission bits (0o${(v & 0o7777).toString(8)}) are used`;
      out.push({ severity: 'warning', pointer, message, rule: 'device-file-mode-type' });
      continue;
    }
    const message = describe(err, value);
    const key = `${pointer}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ severity: 'error', pointer, message, rule: `schema/${err.keyword}` });
  }
  return out;
}
