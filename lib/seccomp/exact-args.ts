// Seccomp argument values are unsigned 64-bit integers (config-linux.md), and JSON.parse rounds any
// integer above 2^53 to the nearest double: 18446744073709551615 reads as 2^64, 0x8000000000000001
// (9223372036854775809) as 2^63. A filter compiled from those would compare against another
// value. So `value` and `valueTwo` that JSON.parse could not hold exactly are read again from
// config.json's text, as BigInt. Only then: a config whose values are all safe integers costs nothing.
import { OciError } from '../errors.js';
import type { Spec } from '../spec/index.js';
import { scanJson } from '../validate/json-source.js';

/** An argument value: a number while exact, a bigint above 2^53. */
export type SeccompDatum = number | bigint;

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?/;

/** Replace, in `spec` (parsed from `text`), every inexact seccomp argument value by its exact bigint. */
export function readExactSeccompArgs(spec: Spec, text: string): void {
  const rules = spec.linux?.seccomp?.syscalls;
  if (!Array.isArray(rules)) return;
  const inexact: { arg: Record<string, unknown>; field: 'value' | 'valueTwo'; pointer: string }[] = [];
  rules.forEach((rule, i) => {
    if (!Array.isArray(rule?.args)) return;
    rule.args.forEach((arg, k) => {
      for (const field of ['value', 'valueTwo'] as const) {
        const v = (arg as unknown as Record<string, unknown>)?.[field];
        if (typeof v === 'number' && !Number.isSafeInteger(v)) inexact.push({ arg: arg as unknown as Record<string, unknown>, field, pointer: `/linux/seccomp/syscalls/${i}/args/${k}/${field}` });
      }
    });
  });
  if (!inexact.length) return;
  const { positions } = scanJson(text);
  for (const { arg, field, pointer } of inexact) {
    const at = positions.get(pointer);
    // Never compare against the rounded double: a value whose text cannot be found is refused.
    if (at === undefined) throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}: ${arg[field]} is beyond 2^53 and its exact digits could not be read`);
    arg[field] = exactInteger(numberAfterKey(text, at), pointer);
  }
}

/** The number literal of the member whose key starts at `at` (its opening quote). */
function numberAfterKey(text: string, at: number): string {
  let i = at + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  i++;
  while (/\s/.test(text[i] ?? '')) i++;
  i++; // ':'
  while (/\s/.test(text[i] ?? '')) i++;
  return NUMBER.exec(text.slice(i, i + 400))?.[0] ?? '';
}

/** A JSON number literal as the integer it denotes (1e19 and 1.5e19 included), or an error. */
function exactInteger(literal: string, pointer: string): bigint {
  const m = NUMBER.exec(literal);
  const bad = (why: string) => new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}: ${literal} ${why}`);
  if (!m) throw bad('is not a number');
  const [, sign, int, frac = '', exp = '0'] = m;
  const scale = Number(exp) - frac.length;
  // Anything with more than 20 digits left of the point is above 2^64 - 1.
  if (scale + int.replace(/^0+/, '').length > 20) throw bad('is above 2^64 - 1, the largest value of a syscall argument');
  let value = BigInt(int + frac);
  if (scale >= 0) value *= 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    if (value % div !== 0n) throw bad('is not an integer');
    value /= div;
  }
  if (sign && value !== 0n) throw bad('is negative: a syscall argument value is unsigned');
  if (value > 0xffffffffffffffffn) throw bad('is above 2^64 - 1, the largest value of a syscall argument');
  return value;
}

/** A value for libseccomp: an unsigned 64-bit integer, or an error naming the pointer. */
export function toDatum(v: SeccompDatum, pointer: string): bigint {
  const big = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : undefined;
  if (big === undefined || big < 0n || big > 0xffffffffffffffffn) {
    throw new OciError('ERR_INVALID_CONFIG', `config.json: ${pointer}: ${v} is not an unsigned 64-bit integer`);
  }
  return big;
}
