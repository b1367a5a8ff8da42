// Signal names and numbers as `kill` accepts them: KILL, SIGKILL, sigkill, 9.
import { constants } from 'node:os';
import { OciError } from './errors.js';

export function parseSignal(input: string | number): number {
  if (typeof input === 'number') return checkRange(input, String(input));
  const s = input.trim();
  if (/^\d+$/.test(s)) return checkRange(Number(s), s);
  const upper = s.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return checkRange(name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0), s);
  const n = (constants.signals as Record<string, number>)[name];
  if (n === undefined) throw new OciError('ERR_INVALID_ARGUMENT', `invalid signal "${input}"`);
  return n;
}

function checkRange(n: number, raw: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new OciError('ERR_INVALID_ARGUMENT', `invalid signal "${raw}"`);
  return n;
}
