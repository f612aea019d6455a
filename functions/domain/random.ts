/** A seeded source of uniform numbers in [0, 1). Everything random in the domain takes one. */
export type Random = () => number;

/** mulberry32: tiny, fast and well distributed for simulation (not for secrets). */
export const seededRandom = (seed: number): Random => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Derives an independent stream for a named purpose, so adding draws in one place does not shift another. */
export const substream = (seed: number, name: string): Random => {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i += 1) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return seededRandom(h);
};

/** A standard normal draw (Box–Muller). */
export const normal = (random: Random): number => {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};

/** A Poisson draw: Knuth's product method for small means, a rounded normal approximation for large ones. */
export const poisson = (random: Random, mean: number): number => {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
};

/** A Gamma(shape, 1) draw (Marsaglia–Tsang), used for Thompson sampling. */
export const gamma = (random: Random, shape: number): number => {
  if (shape < 1) return gamma(random, shape + 1) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const y = 1 + c * x;
    const v = y * y * y; // not y ** 3: Math.pow is several times slower on this hot path
    if (v > 0 && Math.log(1 - random()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
};

/**
 * P(Z > z) for a standard normal Z, from the complementary error function's Chebyshev fit (Numerical Recipes'
 * `erfcc`, relative error below 1.2e-7).
 */
const normalAbove = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const tail = t * Math.exp(-x * x + poly);
  return z >= 0 ? tail / 2 : 1 - tail / 2;
};

/** Lanczos's coefficients for g = 7, 9 terms: read for every scale of every exploring channel, so made once. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
const logGamma = (x: number): number => {
  const c = LANCZOS;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let k = 1; k < 9; k += 1) sum += c[k]! / (z + k);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
};

/**
 * The regularized upper incomplete gamma Q(s, x) = P(G > x) for G a Gamma(s, 1) draw: its series below
 * x = s + 1, its continued fraction (modified Lentz) above (Numerical Recipes §6.2): within 1e-10 of SciPy's
 * `gammaincc` for shapes from 0.5 to ten million (past that, {@link gammaAbove} reads the normal limit).
 * JavaScript has none, and the libraries that do weigh about a hundred kilobytes bundled.
 */
const upperGamma = (s: number, x: number): number => {
  if (!(x > 0)) return 1;
  const front = s * Math.log(x) - x - logGamma(s);
  if (x < s + 1) {
    let term = 1 / s;
    let sum = term;
    for (let n = 1; n < 100_000 && Math.abs(term) > 1e-15 * Math.abs(sum); n += 1) {
      term *= x / (s + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * Math.exp(front));
  }
  const tiny = 1e-300;
  let b = x + 1 - s;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let n = 1; n < 100_000; n += 1) {
    const an = -n * (n - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return Math.exp(front) * h;
};

/** P(G / shape > t) for G a Gamma(shape, 1) draw ({@link gamma}): the chance a posterior level, relative to its mean, is above `t`. */
export const gammaAbove = (shape: number, t: number): number => {
  if (Number.isNaN(t) || !(shape > 0)) return 0;
  if (!(t > 0)) return 1;
  // A posterior so tight it is a certainty: the level is its mean.
  if (shape === Number.POSITIVE_INFINITY) return t < 1 ? 1 : 0;
  const x = shape * t;
  if (x === Number.POSITIVE_INFINITY) return 0;
  // Past ten million conversions of evidence the series and fraction need thousands of terms each, and the
  // cube root of a Gamma draw is as good as normal (Wilson–Hilferty): within 1e-7 of the exact tail, the
  // error function's own precision.
  if (shape > 1e7) {
    const variance = 1 / (9 * shape);
    return normalAbove((Math.cbrt(t) - (1 - variance)) / Math.sqrt(variance));
  }
  return upperGamma(shape, x);
};
