// Interleaving: every round runs each contender once, in an order shuffled per round (seeded, so a
// run can be repeated), so slow drift of a shared machine (other jobs, thermal) lands on all
// contenders alike. Shuffled, not rotated: in a rotation each contender nearly always follows the
// same one, and what a container's teardown leaves to the kernel (network namespaces, mounts,
// memory) then slows the same next contender every round (node -e 0 always came after runc).

export async function interleaved(runners, rounds, warmup, body) {
  const samples = new Map(runners.map((r) => [r.name, []]));
  const failures = new Map(runners.map((r) => [r.name, []]));
  const order = roundOrder();
  for (let round = -warmup; round < rounds; round++) {
    for (const r of order(runners)) {
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

/** Orders for successive rounds: each a shuffle of `items`, from a fixed seed (repeatable). */
export function roundOrder(seed = 1) {
  const random = mulberry32(seed);
  return (items) => shuffled(items, random);
}

function shuffled(items, random) {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same orders. */
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let counter = 0;
/** Container ids unique to this run, with a prefix the leak check can look for. */
export const newId = (tag) => `ocb${process.pid}-${tag}-${++counter}`;
export const ID_PREFIX = `ocb${process.pid}-`;
