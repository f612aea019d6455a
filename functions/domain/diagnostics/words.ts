import { formatAmount } from '../money.js';
import type { ChannelDiagnostics, DiagnosticFlag, Diagnostics, Verdict } from './schemas.js';

/**
 * The judgements diagnostics make, and the words they say them in. Each threshold allows for chance: with
 * n days an honest 80% band holds 0.8·n of them give or take √(0.16·n), and a right model's error is the
 * error its own noise gives.
 */
export const JUDGEMENT = {
  /** Conversions on the held-out days below which a channel's error says more about noise than about the model. */
  minConversions: 20,
  /** Held-out days with data below which the portfolio is not judged. */
  minDays: 7,
  /** A recent error this many times the usual one, and at least `farAboveBy` more, is far above it. */
  farAbove: 2,
  farAboveBy: 0.1,
  /** Conversions the recent days need before their error is compared with the usual. */
  minRecentConversions: 10,
  /** Standard errors of coverage below 80% that make a channel's band too narrow, and the portfolio's. */
  narrowZ: 2.5,
  careZ: 2,
  untrustworthyZ: 3,
  /** Error over the noise's own that asks for care, and that makes a model untrustworthy. */
  careRatio: 1.5,
  untrustworthyRatio: 2,
  /** A summed miss this large (a share of what was reported) and this many standard deviations is a bias. */
  bias: 0.2,
  biasZ: 3,
} as const;

/** "12%": a share as a whole percentage. */
export const percent = (value: number) => `${formatAmount(value * 100, 0)}%`;

/** The lowest coverage `z` standard errors below 80% allows over `days` days. */
const coverageFloor = (days: number, z: number) => 0.8 - z * Math.sqrt(0.16 / Math.max(1, days));

interface Score {
  readonly error: number | null;
  readonly noiseError: number | null;
  readonly bias: number | null;
  readonly biasZ: number;
  readonly coverage: { readonly held: number; readonly days: number; readonly share: number | null };
  readonly reported: number;
}

/** A channel's flags, from its held-out days and, for the error against its usual, its recent ones. */
export const channelFlags = (
  score: Score,
  recent: { readonly error: number | null; readonly reported: number; readonly usual: number | null; readonly days: number },
): DiagnosticFlag[] => {
  const { coverage } = score;
  if (score.reported < JUDGEMENT.minConversions)
    return [
      {
        code: 'few-conversions',
        text: `Too few conversions to judge: ${formatAmount(score.reported, 0)} in ${coverage.days} held-out days.`,
      },
    ];
  const flags: DiagnosticFlag[] = [];
  if (
    recent.error !== null &&
    recent.usual !== null &&
    recent.reported >= JUDGEMENT.minRecentConversions &&
    recent.error >= JUDGEMENT.farAbove * recent.usual &&
    recent.error - recent.usual >= JUDGEMENT.farAboveBy
  )
    flags.push({
      code: 'error-above-usual',
      text: `One-day-ahead error ${percent(recent.error)} over the last ${recent.days} days, ${formatAmount(recent.error / Math.max(recent.usual, 1e-9), 1)}× its usual ${percent(recent.usual)}.`,
    });
  if (coverage.days >= JUDGEMENT.minDays && coverage.share !== null && coverage.share < coverageFloor(coverage.days, JUDGEMENT.narrowZ))
    flags.push({
      code: 'band-too-narrow',
      text: `The 80% band held only ${coverage.held} of ${coverage.days} days: the model is surer than the data allows.`,
    });
  if (score.bias !== null && Math.abs(score.bias) >= JUDGEMENT.bias && Math.abs(score.biasZ) >= JUDGEMENT.biasZ)
    flags.push({
      code: 'biased',
      text: `Predicted ${percent(Math.abs(score.bias))} ${score.bias > 0 ? 'more' : 'fewer'} conversions than were reported over ${coverage.days} held-out days.`,
    });
  return flags;
};

const VERDICT_WORDS: Record<Verdict, string> = {
  trustworthy: 'Trustworthy',
  'use-with-care': 'Use with care',
  'not-trustworthy': 'Not trustworthy',
  'not-enough-data': 'Not enough data to judge',
};

/**
 * The portfolio's verdict, in a sentence with its numbers: is the model that plans the money predicting
 * what happens next as well as the noise allows, and does its 80% band hold about 80% of the time?
 */
export const summaryOf = (score: Score, heldOutDays: number, channels: readonly ChannelDiagnostics[]): Diagnostics['summary'] => {
  const { error, noiseError, coverage } = score;
  const numbers = { error: error === null ? null : round(error), noiseError: noiseError === null ? null : round(noiseError), coverage };
  if (heldOutDays < JUDGEMENT.minDays || score.reported < JUDGEMENT.minConversions || error === null || coverage.share === null)
    return {
      verdict: 'not-enough-data',
      text: `${VERDICT_WORDS['not-enough-data']}: ${heldOutDays} held-out days with data and ${formatAmount(score.reported, 0)} conversions; a verdict needs at least ${JUDGEMENT.minDays} days and ${JUDGEMENT.minConversions} conversions.`,
      ...numbers,
    };
  const excess = noiseError && noiseError > 0 ? error / noiseError : Number.POSITIVE_INFINITY;
  const flagged = channels.filter((c) => c.flags.some((f) => f.code !== 'few-conversions')).map((c) => c.name);
  const verdict: Verdict =
    coverage.share < coverageFloor(coverage.days, JUDGEMENT.untrustworthyZ) || excess > JUDGEMENT.untrustworthyRatio
      ? 'not-trustworthy'
      : coverage.share < coverageFloor(coverage.days, JUDGEMENT.careZ) || excess > JUDGEMENT.careRatio || flagged.length > 0
        ? 'use-with-care'
        : 'trustworthy';
  const noise =
    noiseError === null
      ? ''
      : verdict === 'trustworthy'
        ? ` (noise alone gives about ${percent(noiseError)}: usual for daily ad data)`
        : `, where noise alone gives about ${percent(noiseError)}`;
  const band = `the 80% band held ${coverage.held} of ${coverage.days} channel-days (${percent(coverage.share)})`;
  const check = flagged.length > 0 ? ` Check ${flagged.join(', ')}.` : '';
  return { verdict, text: `${VERDICT_WORDS[verdict]}: one-day-ahead error ${percent(error)}${noise}; ${band}.${check}`, ...numbers };
};

const round = (value: number) => Math.round(value * 10_000) / 10_000;
