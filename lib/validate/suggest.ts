// "Did you mean ...?": the candidate nearest to a misspelled name, if one is near enough.

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * The closest candidate, when the edit distance is small for the word's length (a third of it,
 * at least 1, at most 3). Case differences count as nothing: `hostName` suggests `hostname`.
 * With `affix`, a candidate that only adds a prefix such as `RLIMIT_` or `CAP_` also matches.
 */
export function closest(word: string, candidates: Iterable<string>, affix = false): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    if (cl === lower) return c;
    if (affix && (cl.endsWith('_' + lower) || cl.endsWith(lower)) && lower.length >= 3) return c;
    const d = distance(lower, cl);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestScore <= limit ? best : undefined;
}
