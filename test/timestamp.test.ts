// lib/support/timestamp.ts writes what Date.prototype.toISOString() writes, without the time zone set-up.
import { describe, expect, it } from 'vitest';
import { utcTimestamp } from '../lib/support/timestamp.js';

describe('utcTimestamp', () => {
  it('matches toISOString across years, months, leap days and milliseconds', () => {
    const samples = [0, 1, 951782400000, 1709164800999, 4102444799999, Date.now()];
    for (let t = 0; t < 4e12; t += 97_654_321_123) samples.push(t);
    for (const t of samples) expect(utcTimestamp(new Date(t))).toBe(new Date(t).toISOString());
  });
});
