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
    for (const c of kept) sum += (c.estimate - mean) ** 2 / (c.variance + spread);
    return sum;
  };
  if (scatter(0) <= freedom) return 0;
  // The scatter falls as τ² grows, and is below the target by k times the widest squared range over the freedom.
  const low = Math.min(...kept.map((c) => c.estimate), centre ?? Number.POSITIVE_INFINITY);
  const high = Math.max(...kept.map((c) => c.estimate), centre ?? Number.NEGATIVE_INFINITY);
  let below = 0;
  let above = ((high - low) ** 2 * kept.length) / freedom;
  for (let step = 0; step < 60 && above - below > 1e-9 * above; step += 1) {
    const middle = (below + above) / 2;
    if (scatter(middle) > freedom) below = middle;
    else above = middle;
  }
  return (below + above) / 2;
};

/** The share of its own estimate a channel keeps: its precision against the channels' real spread. */
export const ownShare = (spread: number, variance: number) => (spread > 0 && Number.isFinite(variance) ? spread / (spread + variance) : 0);
