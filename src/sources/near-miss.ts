// "Did you mean": the known key an unknown one most likely misspells. Case
// is ignored (containerport -> containerPort), then the key may be off by a
// few edits (egres -> egress, matchLabel -> matchLabels): at most 2, and at
// most a third of the key, so short keys only match close relatives.

/** Damerau-Levenshtein (optimal string alignment) distance; inputs are bounded by the caller. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const prev = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = d;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/** Keys longer than any field name cannot be a near miss; skip the quadratic work on hostile input. */
const LONGEST_KEY = 64;

/** The candidate `key` most likely stands for, or undefined when none is close. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  if (key.length > LONGEST_KEY) return undefined;
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d <= Math.min(2, Math.floor(Math.max(key.length, c.length) / 3)) && (best === undefined || d < best.distance)) best = { key: c, distance: d };
  }
  return best?.key;
}
