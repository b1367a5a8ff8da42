// Interleaving: every round runs each contender once, in an order rotated per round, so slow
// drift of a shared machine (other jobs, thermal) lands on all contenders alike.

export async function interleaved(runners, rounds, warmup, body) {
  const samples = new Map(runners.map((r) => [r.name, []]));
  const failures = new Map(runners.map((r) => [r.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    const shift = ((round % runners.length) + runners.length) % runners.length;
    const order = [...runners.slice(shift), ...runners.slice(0, shift)];
    for (const r of order) {
      try {
        const ms = await body(r, round);
        if (round >= 0) samples.get(r.name).push(ms);
      } catch (err) {
        if (round >= 0) failures.get(r.name).push(err.message);
      }
    }
  }
  return { samples, failures };
}

let counter = 0;
/** Container ids unique to this run, with a prefix the leak check can look for. */
export const newId = (tag) => `ocb${process.pid}-${tag}-${++counter}`;
export const ID_PREFIX = `ocb${process.pid}-`;
