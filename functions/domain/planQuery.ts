import { MAX_AMOUNT } from './money.js';
import * as z from './schema.js';

/** The most budgets one what-if request may ask about: enough points for a curve, few enough to answer in seconds. */
export const MAX_PLAN_BUDGETS = 25;

/** The whole rule for a budget, said by every refusal of one, so that `1e9`, `0` or `2000000000` each learn the range and the form. */
const BUDGET_RULE = `expected a plain decimal amount above 0 and at most ${MAX_AMOUNT} (1,000,000,000), with at most 6 decimals and no sign, exponent or grouping, such as 12000 or 12000.50`;

/**
 * A daily budget as a query parameter: a plain decimal (no sign, exponent or grouping), positive, at most
 * {@link MAX_AMOUNT} and 6 decimals, the same limits as every money field.
 */
const Budget = z.pipe(
  // Ten digits at most before the point: a longer one read as Infinity, refused as 'expected number, received Infinity'.
  z.string().check(z.regex(/^\d{1,10}(\.\d{1,6})?$/, BUDGET_RULE)),
  z.pipe(
    z.transform((value: string) => Number(value)),
    z.number().check(z.positive(BUDGET_RULE), z.lte(MAX_AMOUNT, BUDGET_RULE)),
  ),
);

/** Comma-separated budgets, one plan each (a curve). */
const Budgets = z.pipe(
  z.string(),
  z.pipe(
    z.transform((value: string) => value.split(',')),
    z.array(Budget).check(z.minLength(1), z.maxLength(MAX_PLAN_BUDGETS, `at most ${MAX_PLAN_BUDGETS} budgets in one request`)),
  ),
);

/** Query of `GET /portfolios/{id}/plan`: one daily budget (`budget`), or several (`budgets=a,b,c`). */
export const PlanQuery = z.strictObject({ budget: z.optional(Budget), budgets: z.optional(Budgets) }).check(
  z.refine((q) => (q.budget === undefined) !== (q.budgets === undefined), {
    message: 'give exactly one of budget=N or budgets=a,b,c',
    path: ['budget'],
  }),
);
export type PlanQuery = z.infer<typeof PlanQuery>;
