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

/** config.json needs a few levels; a document nested deeper is refused before anything recurses into it. */
export const MAX_DEPTH = 128;

/**
 * The pointer of the first value nested more than `max` levels below `root`, or undefined. An
 * explicit stack: a hostile document must not exhaust the call stack of the checker itself.
 */
export function tooDeep(root: unknown, max = MAX_DEPTH): string | undefined {
  const stack: [unknown, number, string][] = [[root, 0, '']];
  while (stack.length) {
    const [v, depth, at] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return at;
    // Only the first few tokens name the place; the pointer stays short.
    const child = (key: string | number) => (depth < 3 ? ptr(at, key) : at);
    if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, depth + 1, child(i)]));
    else for (const [k, x] of Object.entries(v)) stack.push([x, depth + 1, child(k)]);
  }
  return undefined;
}
