// Small helpers for walking a config whose types are not yet trusted.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function objectAt(v: unknown): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

export function arrayAt(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function stringAt(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function numberAt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Appends reference tokens to a JSON pointer, escaping `~` and `/` as RFC 6901 says. */
export function ptr(base: string, ...tokens: Array<string | number>): string {
  return base + tokens.map((t) => '/' + String(t).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Quotes a value for a message. */
export function q(v: unknown): string {
  return JSON.stringify(v);
}
