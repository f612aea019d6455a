import { gammaAbove } from '../random.js';
import { drawableScales, type ResponseModel, uncertainty } from './responseModel.js';

/** A tenth of the exploration budget is the floor for barely measured channels; the rest follows the chance of upside. */
const FLOOR_SHARE = 0.1;

/**
 * A channel counts as barely measured while its level is uncertain by more than 15% (1/√shape: fewer than
 * about 45 conversions of evidence), as a new channel always is: only those share the floor. A well-measured channel needs no
 * guaranteed spend to be learned about, and forcing it some would only take budget from better uses.
 */
const MEASURED_UNCERTAINTY = 0.15;

export interface ExplorationCandidate {
  readonly channelId: string;
  readonly model: ResponseModel;
  /** Spend the channel gets without exploration, where its upside is judged. */
  readonly plannedSpend: number;
  /** Most exploration it can take (its cap less its base). */
  readonly room: number;
  /** What one unit of its curve is worth against the margin: today's weekday factor × incrementality (default 1). */
  readonly worth?: number;
  /** What its next unit must return to beat the plan's, where that is its own (its carbon's price added); else the margin. */
  readonly hurdle?: number;
  /** The shared rooms (a capped group's, by index) its exploration also counts against, with its fellow members'. */
  readonly within?: readonly number[];
  /** How much of its exploration the shared rooms do not count: what lifts no floor (its change limit's holds it higher). */
  readonly exempt?: number;
}

export interface ExplorationShare {
  readonly amount: number;
  /** Probability its next unit beats the portfolio's marginal return. */
  readonly chance: number;
}

/**
 * Splits the exploration budget by the chance Thompson sampling reads: for each channel, the posterior
 * probability that its marginal return at the planned spend beats the portfolio's margin, read in closed form
 * (the Gamma posterior's tail at each scale) rather than from draws, so it is exact, the same on every run,
 * and independent of channel order. Nine tenths of the budget follow the chances, a tenth is a floor spread
 * evenly over the barely measured channels so that an unexplored one still gets measurable spend (all of it
 * when no channel shows a chance). Channels with no room (at their cap, or in a shared room that is full) get
 * nothing; what one cannot take goes to the others.
 */
export const splitExploration = (
  budget: number,
  candidates: readonly ExplorationCandidate[],
  margin: number,
  sharedRooms: readonly number[] = [],
): Map<string, ExplorationShare> => {
  const shares = new Map<string, ExplorationShare>();
  const open = candidates.filter((c) => c.room > 0);
  if (budget <= 0 || open.length === 0) return shares;
  const chances = open.map(({ model, plannedSpend, worth = 1, hurdle = margin }) => {
    // Level and shape are both uncertain: a draw of the scale changes the slope at the planned spend, which is
    // (a / scale) · e^(−spend / scale) (marginalAt's). At each scale the posterior allows, the next unit beats the
    // hurdle when the level a is above hurdle · scale / (worth · e^(−spend / scale)), and the level's posterior
    // is a Gamma: the chance is that tail, in closed form, weighed by the scale's posterior weight.
    const at = Math.max(0, plannedSpend);
    return drawableScales(model).reduce((chance, { scale, level, weight }) => {
      const perLevel = (worth * Math.exp(-at / scale) * level) / scale;
      const beats = perLevel > 0 ? gammaAbove(model.shape, hurdle / perLevel) : hurdle < 0 ? 1 : 0;
      return chance + weight * beats;
    }, 0);
  });
  const totalChance = chances.reduce((a, b) => a + b, 0);
  const unmeasured = open.map((c) => uncertainty(c.model) > MEASURED_UNCERTAINTY);
  const floorShare = unmeasured.some(Boolean) && totalChance > 0 ? FLOOR_SHARE : unmeasured.some(Boolean) ? 1 : 0;
  const floorCount = unmeasured.filter(Boolean).length;
  const weights = open.map(
    (_, i) =>
      (unmeasured[i] ? floorShare / floorCount : 0) + (1 - floorShare) * (totalChance > 0 ? chances[i]! / totalChance : 1 / open.length),
  );
  // Water-fill: give by weight, cap at room, hand the excess to channels still open. A shared room counts only
  // what lifts a member's floor (past its exempt part), and one that cannot hold what its members want this
  // round gives each of them the same fraction of it.
  const amounts = open.map(() => 0);
  const left = [...sharedRooms];
  const poolsOf = (i: number) => open[i]!.within ?? [];
  const exemptLeft = (i: number) => Math.max(0, (open[i]!.exempt ?? 0) - amounts[i]!);
  let remaining = budget;
  let active = open.map((_, i) => i);
  while (remaining > 1e-9 && active.length > 0) {
    const weight = active.reduce((s, i) => s + weights[i]!, 0);
    // When only zero-weight channels have room left, they share what remains evenly.
    const share = (i: number) => (weight > 0 ? weights[i]! / weight : 1 / active.length);
    const wants = new Map(active.map((i) => [i, Math.min(remaining * share(i), open[i]!.room - amounts[i]!)]));
    const counted = (i: number, want: number) => Math.max(0, want - exemptLeft(i));
    const asked = left.map(() => 0);
    for (const [i, want] of wants) for (const p of poolsOf(i)) asked[p]! += counted(i, want);
    const fits = asked.map((a, p) => (a > left[p]! ? Math.max(0, left[p]!) / a : 1));
    const next: number[] = [];
    let given = 0;
    for (const [i, want] of wants) {
      const over = counted(i, want);
      const fit = poolsOf(i).reduce((f, p) => Math.min(f, fits[p]!), 1);
      const take = fit === 1 ? want : want - over + over * fit;
      amounts[i]! += take;
      given += take;
      for (const p of poolsOf(i)) left[p]! -= over * fit;
      const pooled = exemptLeft(i) > 1e-9 || poolsOf(i).every((p) => left[p]! > 1e-9);
      if (open[i]!.room - amounts[i]! > 1e-9 && pooled) next.push(i);
    }
    remaining -= given;
    if (next.length === active.length && given <= 1e-12) break;
    active = next;
  }
  for (const [i, c] of open.entries()) shares.set(c.channelId, { amount: amounts[i]!, chance: chances[i]! });
  return shares;
};
