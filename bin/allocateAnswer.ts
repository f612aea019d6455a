import { allocate } from '../functions/domain/allocation/allocate.js';
import { AllocationInput } from '../functions/domain/allocation/schemas.js';
import { firstNonFinite } from '../functions/domain/finite.js';
import { type Issue, validate } from '../functions/domain/issues.js';
import { repeatedKeyIssues } from '../functions/domain/jsonKeys.js';

/** Why an input was refused; the batch server maps every kind to HTTP 400 (docs/allocation.md). */
export type RefusalCode = 'malformed-json' | 'invalid-input' | 'cannot-honour';

/**
 * A refusal, worded as the CLI words it: `message` names the input (`in.json`, `the request body`,
 * `line 3`), and each issue is one `  - path: message` line under it.
 */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  readonly issues: readonly Issue[];
}

/** One input's answer: the Allocation exactly as the CLI prints it, or why it was refused. */
export type AllocateAnswer = { readonly ok: true; readonly allocation: unknown } | { readonly ok: false; readonly refusal: Refusal };

const refused = (code: RefusalCode, message: string, issues: readonly Issue[]): AllocateAnswer => ({
  ok: false,
  refusal: { code, message, issues },
});

/**
 * Answers one AllocationInput given as JSON text, named `source` in a refusal. Every way of calling the
 * allocator (`--input`, `--serve`, `--ndjson`) goes through this one function, so that a batch answers
 * exactly what a single call prints. Only `solver.ms` differs between two runs: it is the time the solve took.
 */
export const answerAllocation = (text: string, source: string): AllocateAnswer => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return refused('malformed-json', `${source} is not JSON`, [{ path: '$', message: (error as Error).message }]);
  }
  // As a webhook's and an operator body's: which of a repeated key's values did the caller mean?
  const repeated = repeatedKeyIssues(text);
  if (repeated.length > 0) return refused('invalid-input', `${source} repeats a key`, repeated);
  const input = validate(AllocationInput, raw);
  if (!input.ok) return refused('invalid-input', `${source} is not a valid AllocationInput`, input.issues);
  const cannotHonour = (path: string, message: string) =>
    refused('cannot-honour', `${source} is not an input the allocator can honour`, [{ path, message }]);
  let allocation: unknown;
  try {
    allocation = allocate(input.value, { timer: () => performance.now() });
  } catch (error) {
    return cannotHonour('$', `the allocator failed: ${String((error as Error).message).split('\n')[0]}`);
  }
  // JSON would print Infinity or NaN as null: refuse rather than print a plan with holes in it.
  const hole = firstNonFinite(allocation);
  if (hole !== null)
    return cannotHonour(hole, 'this number of the allocation is not finite: the input holds amounts too large to compute with');
  return { ok: true, allocation };
};

/** The Allocation as `npm run allocate -- --input` prints it on stdout (and `--serve` answers it), newline included. */
export const printedAllocation = (allocation: unknown): string => `${JSON.stringify(allocation, null, 2)}\n`;

/** A refusal as the CLI prints it on stderr: its message, then one `  - path: message` line per problem. */
export const printedRefusal = ({ message, issues }: Refusal): string =>
  `${message}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}\n`;
