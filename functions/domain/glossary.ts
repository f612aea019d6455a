/**
 * The words the finance dashboard uses, defined once. The dashboard renders them as its glossary section
 * (each term an anchor, `#term-<id>`, that the page's headings and columns link to, so the links work
 * wherever the page is served), and docs/finance-guide.md carries the same definitions word for word (a
 * unit test holds them together).
 */
export interface GlossaryTerm {
  /** The anchor: `#term-<id>`. */
  readonly id: string;
  readonly term: string;
  readonly definition: string;
}

export const GLOSSARY: readonly GlossaryTerm[] = [
  {
    id: 'snapshot',
    term: 'Snapshot',
    definition:
      'One allocation as a run decided it, kept unchanged for good, with its id (which starts with the time it was made, in UTC), the data and config it was decided from, and why it ran.',
  },
  {
    id: 'previous',
    term: 'Previous',
    definition:
      'Always a named snapshot: the page says which one (its id and time) wherever it shows a previous value. In the allocation table it is the plan that was in force when the run began.',
  },
  {
    id: 'base',
    term: 'Base',
    definition:
      "A channel's guaranteed daily amount, set by the operators. The plan never gives a channel less, except when the bases together do not fit today's budget.",
  },
  {
    id: 'performance',
    term: 'Performance',
    definition:
      "Money placed above the bases where the fitted response curves say the next unit of spend buys the most, up to each channel's cap.",
  },
  {
    id: 'exploration',
    term: 'Exploration',
    definition:
      'A fixed share of the daily budget (10% by default) spent on channels whose curves are still uncertain, so that the model keeps learning. It is re-decided on every run from what the curves still leave uncertain, so it moves between channels as they are learned.',
  },
  {
    id: 'reserve',
    term: 'Reserve',
    definition:
      "A share of the daily budget held back from the plan (budget.reserveShare). Only an operator can release it into a day's plan, with a written reason.",
  },
  {
    id: 'change-limit',
    term: 'Change limit',
    definition:
      "How far a channel's total may move in one day, as a share of its total when the day began (budget.maxDailyChange, 25% by default). A channel's base is the floor the config commits to, so one that began the day below its base goes to its base at once, beyond the limit.",
  },
  {
    id: 'stop-loss',
    term: 'Stop-loss',
    definition: 'An alert rule with the stop-loss action. While such an alert is open, the channel gets its base and nothing more.',
  },
  {
    id: 'expected',
    term: 'Expected conversions',
    definition:
      'The incremental conversions (or revenue) the fitted curves expect a plan to bring in a day: the ones the spend causes, not the ones that would come anyway.',
  },
  {
    id: 'interval',
    term: '80% interval',
    definition:
      'The range the model gives 80% odds of holding the outcome: one day in ten is expected below it and one in ten above. A wide interval means the model knows little.',
  },
  {
    id: 'lift',
    term: 'Lift',
    definition:
      'How much more the plan expects than the same money split as it was spent over the last 14 days: expected ÷ that split − 1.',
  },
  {
    id: 'marginal-cpa',
    term: 'Marginal CPA',
    definition:
      "What one more conversion from a channel would cost at its planned spend: the slope of its fitted curve there. It rises as spend rises. It is not the channel's average CPA.",
  },
  {
    id: 'marginal-cost',
    term: "Portfolio's marginal cost",
    definition:
      'What the last money placed anywhere in the plan buys a conversion at. The optimizer funds each channel up to where its marginal CPA reaches this cost; a channel whose marginal CPA is higher is not funded beyond its base and exploration.',
  },
  {
    id: 'shadow-price',
    term: 'Shadow price',
    definition:
      'What relaxing a binding limit by one unit would add to the plan, in conversions (or revenue) a day: for the budget, per extra unit of currency; for a cap, per unit of cap.',
  },
  {
    id: 'caution',
    term: 'Caution',
    definition:
      "How far below its expected value a target CPA or minimum ROAS reads the plan's outcome: at the 5th percentile of the portfolio's total, so that about one day in twenty lands over the target if the model is right. The binding target's explanation says what this costs in conversions a day. The uncertainty comes from the curves' levels, which recent days set and which move quickly; from their shapes, which matter most where a channel is asked to spend more than it ever has; and from the weekday factors, which sixteen weeks of history set and which move slowly.",
  },
  {
    id: 'cpa',
    term: 'CPA',
    definition:
      'Cost per acquisition: spend divided by the conversions the platforms reported, over the stated days. It includes conversions that would have come without the spend.',
  },
  {
    id: 'roas',
    term: 'ROAS',
    definition: 'Return on ad spend: reported revenue divided by spend, over the stated days.',
  },
  {
    id: 'pace',
    term: 'Pace',
    definition: 'Actual spend as a share of the plan in force on the same days: 100% is on plan; 122% means 22% over.',
  },
  {
    id: 'contribution',
    term: 'Contribution',
    definition:
      "The incremental conversions (or revenue) a channel's fitted curve credits to its actual spend, day by day, over the last 14 days. Its share is the channel's part of all channels' contribution over those days.",
  },
  {
    id: 'cost-per-contribution',
    term: 'Cost per contribution',
    definition:
      "A channel's spend over the last 14 days divided by its contribution over the same days: what an incremental conversion cost it on average. It sits between the reported CPA (which counts conversions that would have come anyway) and the marginal CPA (the next one's cost).",
  },
  {
    id: 'spend-share',
    term: 'Share of spend',
    definition: "A channel's part of all channels' actual spend over the same 14 days as the contribution.",
  },
  {
    id: 'planned-share',
    term: 'Planned share',
    definition: "A channel's part of today's plan. It is shown beside the 14-day shares, not mixed with them.",
  },
  {
    id: 'cpm',
    term: 'CPM',
    definition: 'Cost per thousand impressions, over the last 14 days.',
  },
  {
    id: 'restatement',
    term: 'Restatement',
    definition:
      'A platform correcting a day it already reported (conversions often arrive days late). The stored day is replaced, the earlier values are kept, and the next plan learns from the new ones.',
  },
  {
    id: 'watermark',
    term: 'Data watermark',
    definition: 'The newest day of metrics a plan was decided from.',
  },
];

/** The anchor of a term on the dashboard. */
export const termAnchor = (id: GlossaryTerm['id']): string => `#term-${id}`;
