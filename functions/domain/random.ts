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
