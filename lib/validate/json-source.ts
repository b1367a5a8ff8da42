// A small JSON scanner for the source text of a config: it finds where a syntax error is (line
// and column, which JSON.parse does not always say), where each value sits (so problems can name
// a line), and duplicate keys (JSON.parse silently keeps the last one).
import { MAX_DEPTH, ptr } from './json.js';

export interface SourceMap {
  /** Offset of each value (of its key, for object members), by JSON pointer. */
  positions: Map<string, number>;
  /** Pointers of object members whose key appeared earlier in the same object. */
  duplicates: string[];
  /** The first syntax error, if the text is not JSON. */
  error?: { offset: number; message: string };
}

class SyntaxProblem extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

export function scanJson(text: string): SourceMap {
  const positions = new Map<string, number>();
  const duplicates: string[] = [];
  let i = 0;
  const n = text.length;

  const fail = (message: string, at = i): never => {
    throw new SyntaxProblem(at, message);
  };
  const describe = (at: number) => (at >= n ? 'end of file' : `character ${JSON.stringify(text[at])}`);
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };

  function string(): string {
    const start = i;
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in string');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`invalid escape sequence \\${e ?? ''} in string`);
        continue;
      }
      if (c < 0x20) fail('unescaped control character (such as a newline) in string');
      i++;
    }
    return fail('unterminated string', start);
  }

  function number(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') fail(`invalid number`);
    i += m![0].length;
  }

  let depth = 0;
  function value(pointer: string): void {
    ws();
    if (!positions.has(pointer)) positions.set(pointer, i);
    const c = text[i];
    if (c === '{' || c === '[') {
      // Recursion: bounded before it can exhaust the stack (validateConfig reports the depth).
      if (++depth > MAX_DEPTH) fail(`nested more than ${MAX_DEPTH} levels deep`);
      if (c === '{') object(pointer);
      else array(pointer);
      depth--;
      return;
    }
    if (c === '"') return void string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    fail(`unexpected ${describe(i)}: expected a value`);
  }

  function object(pointer: string): void {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    const keys = new Set<string>();
    for (;;) {
      ws();
      if (text[i] !== '"') fail(`unexpected ${describe(i)}: expected a field name in double quotes`);
      const keyAt = i;
      const key = string();
      const child = ptr(pointer, key);
      if (keys.has(key)) duplicates.push(child);
      keys.add(key);
      positions.set(child, keyAt);
      ws();
      if (text[i] !== ':') fail(`unexpected ${describe(i)}: expected ':' after field name ${JSON.stringify(key)}`);
      i++;
      value(child);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`unexpected ${describe(i)}: expected ',' or '}' after a field`);
    }
  }

  function array(pointer: string): void {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (let index = 0; ; index++) {
      value(ptr(pointer, index));
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`unexpected ${describe(i)}: expected ',' or ']' after an array entry`);
    }
  }

  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1; // tolerate a byte-order mark
    value('');
    ws();
    if (i < n) fail(`unexpected ${describe(i)} after the end of the JSON document`);
    return { positions, duplicates };
  } catch (err) {
    if (!(err instanceof SyntaxProblem)) throw err;
    return { positions, duplicates, error: { offset: err.offset, message: err.message } };
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Position of the value a pointer names, or of its nearest ancestor that exists. */
export function locate(map: SourceMap, pointer: string): number | undefined {
  for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
    const at = map.positions.get(p);
    if (at !== undefined) return at;
    if (p === '') return undefined;
  }
}
