/**
 * Splitting an integer amount (minor currency units) between parts by weight, exactly: the parts sum to the
 * amount, to the unit, and each part that has a minimum gets at least it.
 */

/**
 * `amount` split by `weights` with the largest-remainder method: every share is the floor of its exact
 * share, and the units left over go to the largest remainders (ties to the earlier part). All weights zero
 * (or none positive) splits evenly. `amount` and the result are non-negative integers.
 */
export const splitByWeight = (amount: number, weights: readonly number[]): number[] => {
  if (weights.length === 0) return [];
  const positive = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const sum = positive.reduce((s, w) => s + w, 0);
  const used = sum > 0 ? positive : positive.map(() => 1);
  const total = sum > 0 ? sum : used.length;
  const exact = used.map((w) => (amount * w) / total);
  const shares = exact.map(Math.floor);
  let left = amount - shares.reduce((s, v) => s + v, 0);
  const order = exact.map((v, i) => ({ i, remainder: v - Math.floor(v) })).sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i]! += 1;
    left -= 1;
  }
  return shares;
};

/**
 * `amount` split by `weights`, with each part at least its minimum: parts whose share falls short are
 * raised to their minimum and the rest is split again among the others by weight, until none falls short.
 * Null when the minimums alone exceed the amount (no split can respect them).
 */
export const splitWithMinimums = (amount: number, weights: readonly number[], minimums: readonly number[]): number[] | null => {
  const needed = minimums.reduce((s, m) => s + m, 0);
  if (needed > amount) return null;
  const pinned = new Set<number>();
  for (;;) {
    const free = weights.map((_, i) => i).filter((i) => !pinned.has(i));
    const rest = amount - [...pinned].reduce((s, i) => s + minimums[i]!, 0);
    const shares = splitByWeight(
      rest,
      free.map((i) => weights[i]!),
    );
    const short = free.filter((i, k) => shares[k]! < minimums[i]!);
    if (short.length === 0) {
      const result = weights.map((_, i) => minimums[i]!);
      free.forEach((i, k) => {
        result[i] = shares[k]!;
      });
      return result;
    }
    for (const i of short) pinned.add(i);
  }
};
