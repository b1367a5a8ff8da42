// Capability numbers by the names config.json uses; the table itself is lib/spec/capabilities.ts.
import { CAPABILITIES } from '../lib/spec/capabilities.js';

export function capabilityNumber(name: string): number | undefined {
  return (CAPABILITIES as Record<string, number>)[name.toUpperCase()];
}

/** The two 32-bit words of the v3 capset data for a set of capability numbers. */
export function capabilityWords(caps: Iterable<number>): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const c of caps) {
    if (c < 32) lo |= 1 << c;
    else hi |= 1 << (c - 32);
  }
  return [lo >>> 0, hi >>> 0];
}
