import * as z from './schema.js';

/** One currency unit in micros. Money is stored and summed as integer micros so totals are exact. */
export const MICROS_PER_UNIT = 1_000_000;

/** The largest amount a single field may carry: keeps every sum of micros a safe integer. */
export const MAX_AMOUNT = 1_000_000_000;

/** Converts a decimal currency amount (at most 6 decimals) to integer micros. */
export const toMicros = (amount: number): number => Math.round(amount * MICROS_PER_UNIT);

/** Converts integer micros back to a decimal currency amount. */
export const fromMicros = (micros: number): number => micros / MICROS_PER_UNIT;

/**
 * Sums integer micros exactly (BigInt: a day of large hourly rows can pass 2^53 micros) and converts once,
 * at output, to the double nearest the exact decimal.
 */
export const sumMicros = (values: Iterable<number>): number => {
  let total = 0n;
  for (const v of values) total += BigInt(v);
  const sign = total < 0n ? '-' : '';
  const magnitude = total < 0n ? -total : total;
  const units = magnitude / 1_000_000n;
  const fraction = (magnitude % 1_000_000n).toString().padStart(6, '0');
  return Number(`${sign}${units}.${fraction}`);
};

/** True when `amount` has at most 6 decimals, i.e. converts to micros and back unchanged. */
export const hasMicroPrecision = (amount: number): boolean => fromMicros(toMicros(amount)) === amount;

/** A non-negative money amount in currency units, at most 6 decimals. */
export const Money = z.number().check(
  z.nonnegative(),
  z.lte(MAX_AMOUNT),
  // Past the cap the cap is the one problem: 1e308 "has" no decimals to speak of, and saying so misled.
  z.refine((amount) => Math.abs(amount) > MAX_AMOUNT || hasMicroPrecision(amount), 'must have at most 6 decimals'),
);

/**
 * Decimal places of a currency's minor unit (USD 2, JPY 0, KWD 3), from the runtime's currency data (CLDR, which
 * gives 0 for HUF, IDR and IQD, as they are used, where ISO 4217 keeps 2, 2 and 3); 2 for a code it does not
 * know (a platform's answer the config never saw).
 */
export const currencyDigits = (currency: string): number => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
};

/**
 * Money in whole minor units of one currency: what a budget can be set to and a platform can charge. A plan is
 * rounded to them (a JPY plan in whole yen), and a bound holds when it holds to within one.
 */
export interface MinorUnit {
  /** Minor units in one currency unit: 100 for USD, 1 for JPY. */
  readonly perUnit: number;
  /** One minor unit in currency units: 0.01 for USD, 1 for JPY. */
  readonly size: number;
  readonly round: (amount: number) => number;
  /** Whole minor units in `amount`, rounded down: a float's last bits below a whole unit count as it. */
  readonly count: (amount: number) => number;
  /** Rounded down, so a sum within a budget stays within it. */
  readonly floor: (amount: number) => number;
  /** Rounded up, so what is held back is at least its share (a product's last bits above a whole unit count as it). */
  readonly ceil: (amount: number) => number;
  /** Whether `amount` is a whole number of minor units: the double nearest to one, as every rounding here gives. */
  readonly whole: (amount: number) => boolean;
  /** An amount as reasons write money: the currency's decimals, always, and US grouping ("8,500.00"; "8,500" in yen). */
  readonly format: (amount: number) => string;
}

/** Each currency's, made once: a few hundred codes at most. */
const minorUnits = new Map<string, MinorUnit>();

/** The minor unit of `currency` (an ISO 4217 code; one the runtime does not know counts in hundredths). */
export const minorUnitOf = (currency: string): MinorUnit => {
  let unit = minorUnits.get(currency);
  if (!unit) {
    const digits = currencyDigits(currency);
    const perUnit = 10 ** digits;
    // A product's last bits are relative to its size: 290,755,852.60 × 100 is 29,075,585,260.000004, and
    // 0.29 × 100 is 28.999999999999996. The decimal's own rounding and the product's are each at most half
    // an epsilon of it, so two epsilons are allowed for and no more: a millionth short of a unit (999,999.999999
    // yen, 999,999,999.999999 dollars) stays short of it.
    const count = (amount: number) => {
      const units = amount * perUnit;
      return Math.floor(units + Math.abs(units) * 2 * Number.EPSILON);
    };
    const round = (amount: number) => Math.round(amount * perUnit) / perUnit;
    unit = {
      perUnit,
      size: 1 / perUnit,
      round,
      count,
      floor: (amount) => count(amount) / perUnit,
      // 0 − rather than unary minus: a reserve of nothing is 0, not −0 (which a stored snapshot reads back as 0).
      ceil: (amount) => 0 - count(-amount) / perUnit,
      whole: (amount) => round(amount) === amount,
      format: (amount) => formatAmount(amount, digits, digits),
    };
    minorUnits.set(currency, unit);
  }
  return unit;
};

/**
 * Rounds amounts to whole minor units of the currency (cents, whole yen) so that they sum exactly to `total`
 * (largest remainder), never lifting one above its `ceiling`. Works in integer minor units, so the sum is exact.
 */
export const roundToTotal = (amounts: readonly number[], total: number, unit: MinorUnit, ceilings?: readonly number[]): number[] => {
  const { perUnit } = unit;
  const floors = amounts.map(unit.count);
  let left = Math.round(total * perUnit) - floors.reduce((a, b) => a + b, 0);
  const order = amounts.map((a, i) => ({ i, rest: a * perUnit - floors[i]! })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    if (ceilings && (floors[i]! + 1) / perUnit > ceilings[i]! + 1e-9) continue;
    floors[i]! += 1;
    left -= 1;
  }
  return floors.map((c) => c / perUnit);
};

/** Rounds to `decimals` places: money to its minor unit or to micros, ratios and timings for display. */
export const roundTo = (amount: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(amount * factor) / factor;
};

/** One formatter per number of decimals: building an `Intl.NumberFormat` per call costs more than formatting. */
const formatters = new Map<string, Intl.NumberFormat>();

/**
 * An amount as the reasons and explanations write it: US grouping, at most `digits` decimals and at least
 * `minDigits` ("8,500", "33.76", "45.00" with both 2). Money's currency-aware display for tables lives with
 * the finance views.
 */
export const formatAmount = (value: number, digits = 2, minDigits = 0): string => {
  const key = `${digits}/${minDigits}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: minDigits });
    formatters.set(key, format);
  }
  return format.format(value);
};
