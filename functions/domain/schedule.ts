/**
 * A parsed EventBridge Scheduler expression, validated against the grammar the Scheduler documents (so
 * `config:check` refuses what a deploy would). Stepping through its instants is `scheduleTimes.ts`'s job,
 * kept apart so that functions which only validate config do not load croner.
 */
export type Schedule = { readonly kind: 'rate'; readonly everyMs: number } | { readonly kind: 'cron'; readonly fields: readonly string[] };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** `rate(value unit)`: a positive whole value; the unit singular for 1 and plural otherwise. */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Special characters the field allows beyond `, - * /`. */
  readonly special: RegExp;
}

/** The six fields of an EventBridge cron, in order, with their ranges and special characters. */
const FIELDS: readonly Field[] = [
  { name: 'minutes', min: 0, max: 59, special: /^$/ },
  { name: 'hours', min: 0, max: 23, special: /^$/ },
  { name: 'day-of-month', min: 1, max: 31, special: /^(\?|L|LW|\d{1,2}W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS, special: /^$/ },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: /^(\?|L|[1-7]L|[1-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5])$/ },
  { name: 'year', min: 1970, max: 2199, special: /^$/ },
];

/** A single value of a field: a number in range, or one of its names. */
const value = (field: Field, token: string): number | undefined => {
  const named = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (named >= 0) return named + field.min;
  if (!/^\d+$/.test(token)) return undefined;
  const n = Number(token);
  return n >= field.min && n <= field.max ? n : undefined;
};

/** What is wrong with one field, or undefined when it follows the grammar. */
const fieldProblem = (field: Field, text: string): string | undefined => {
  if (field.special.test(text)) return undefined;
  for (const part of text.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (extra.length > 0 || range === undefined || range === '') return `"${part}" in ${field.name} is not a value, range or step`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1))
      return `the step "${step}" in ${field.name} must be a positive whole number`;
    if (range === '*') continue;
    const [from, to, ...more] = range.split('-');
    if (more.length > 0) return `"${range}" in ${field.name} is not a range`;
    const low = value(field, from ?? '');
    const high = to === undefined ? low : value(field, to);
    if (low === undefined || high === undefined) return `"${range}" in ${field.name} is outside ${field.min}-${field.max}`;
  }
  return undefined;
};

/** Validates a cron body; throws with what is wrong. */
const checkCron = (body: string): string[] => {
  const fields = body.split(' ');
  if (fields.length !== 6 || fields.some((f) => f === '')) {
    throw new Error('a cron has six fields separated by single spaces: minutes hours day-of-month month day-of-week year');
  }
  for (const [i, text] of fields.entries()) {
    const problem = fieldProblem(FIELDS[i]!, text);
    if (problem) throw new Error(problem);
  }
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new Error('exactly one of day-of-month and day-of-week must be "?" (EventBridge cannot use both, nor neither)');
  }
  return fields;
};

const inside = (expression: string, name: 'rate' | 'cron'): string | undefined =>
  expression.startsWith(`${name}(`) && expression.endsWith(')') ? expression.slice(name.length + 1, -1) : undefined;

/** Parses `rate(…)` or `cron(…)` as EventBridge Scheduler would; throws an Error that says what is wrong. */
export const parseSchedule = (expression: string): Schedule => {
  if (expression.startsWith('rate(')) {
    const match = RATE.exec(expression);
    if (!match) throw new Error(`"${expression}" is not a rate: use rate(<whole number> minute|minutes|hour|hours|day|days)`);
    const count = Number(match[1]);
    const unit = match[2]!;
    if (count < 1) throw new Error(`"${expression}": the value must be at least 1`);
    if ((count === 1) !== !unit.endsWith('s')) {
      throw new Error(`"${expression}": use the singular unit with 1 and the plural otherwise (rate(1 hour), rate(5 minutes))`);
    }
    return { kind: 'rate', everyMs: count * UNIT_MS[unit.replace(/s$/, '') as keyof typeof UNIT_MS] };
  }
  const cron = inside(expression, 'cron');
  if (cron !== undefined) {
    let fields: string[];
    try {
      fields = checkCron(cron);
      return { kind: 'cron', fields };
    } catch (error) {
      throw new Error(`"${expression}" is not a valid cron: ${(error as Error).message}`);
    }
  }
  throw new Error(`"${expression}" must be rate(…) or cron(…)`);
};
