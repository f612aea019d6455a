/**
 * Empirical-Bayes pooling of one quantity estimated per channel (a weekday factor, a development factor, an
 * efficiency), as in a random-effects meta-analysis. The channels' estimates scatter for two reasons: each is noisy (its
 * sampling variance), and the channels really differ. The between-channel variance τ² is what the scatter
 * shows beyond the noise; a channel then keeps τ² / (τ² + v) of its own estimate and takes the rest from the
 * portfolio's. So a channel with plenty of data keeps its own value, a small one borrows the portfolio's, and
 * how much they borrow is measured, not set.
 */

/**
 * τ²: how far the channels' `estimates` differ beyond their sampling `variances` (channels with no finite
 * precision are left out), around `centre` when it is known, else around their mean weighed by 1 / (v + τ²).
 * Paule and Mandel's estimator: the τ² at which the scatter, each channel weighed by 1 / (v + τ²), is what
 * chance alone gives. DerSimonian and Laird's one-step moment estimator weighs by 1 / v alone, so a few precise
 * channels that agree hide one that differs (three search channels at 1.15 and a video channel at 1.8: τ² 0.004
 * against Paule–Mandel's 0.10); Paule–Mandel does not, and is the estimator reviews of the method recommend.
 */
export const betweenVariance = (estimates: readonly number[], variances: readonly number[], centre?: number) => {
  const kept = estimates.flatMap((estimate, i) => {
    const variance = variances[i]!;
    return variance > 0 && Number.isFinite(variance) && Number.isFinite(estimate) ? [{ estimate, variance }] : [];
  });
  const freedom = centre === undefined ? kept.length - 1 : kept.length;
  if (freedom < 1) return 0;
  // The scatter at a spread τ², and its slope there: −Σ (x − mean)² / (v + τ²)² (the mean's own movement adds
  // nothing, since the weighted mean minimizes the scatter).
  const scatter = (spread: number) => {
    let mean = centre;
    if (mean === undefined) {
      let weights = 0;
      let weighted = 0;
      for (const c of kept) {
        weights += 1 / (c.variance + spread);
        weighted += c.estimate / (c.variance + spread);
      }
      mean = weighted / weights;
    }
    let sum = 0;
    let slope = 0;
    for (const c of kept) {
      const term = (c.estimate - mean) ** 2 / (c.variance + spread);
      sum += term;
      slope -= term / (c.variance + spread);
    }
    return { sum, slope };
  };
  const atZero = scatter(0);
  if (atZero.sum <= freedom) return 0;
  // The scatter falls as τ² grows, and is below the target by k times the widest squared range over the freedom.
  const low = Math.min(...kept.map((c) => c.estimate), centre ?? Number.POSITIVE_INFINITY);
  const high = Math.max(...kept.map((c) => c.estimate), centre ?? Number.NEGATIVE_INFINITY);
  let below = 0;
  let above = ((high - low) ** 2 * kept.length) / freedom;
  // Newton's steps from τ² = 0, kept inside the bracket: the scatter is convex in τ², so they climb to the root
  // in a handful of rounds where halving alone took thirty. Where a step would leave the bracket, or would not
  // halve the one before (far from the root, Newton only doubles τ² a round), the bracket is halved instead
  // (Numerical Recipes' rtsafe).
  let spread = 0;
  let at = atZero;
  let before = above - below;
  for (let step = 0; step < 200 && above - below > 1e-12 * above; step += 1) {
    if (at.sum > freedom) below = spread;
    else above = spread;
    const move = (at.sum - freedom) / -at.slope;
    const newton = spread + move;
    const next = newton > below && newton < above && Math.abs(2 * move) <= before ? newton : (below + above) / 2;
    if (Math.abs(next - spread) <= 1e-12 * Math.max(next, 1e-300)) return next;
    before = Math.abs(next - spread);
    spread = next;
    at = scatter(spread);
  }
  return spread;
};

/** The share of its own estimate a channel keeps: its precision against the channels' real spread. */
export const ownShare = (spread: number, variance: number) => (spread > 0 && Number.isFinite(variance) ? spread / (spread + variance) : 0);
