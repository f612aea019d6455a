import { readFileSync } from 'node:fs';
import { allocate } from '../functions/domain/allocation/allocate.js';
import { AllocationInput } from '../functions/domain/allocation/schemas.js';
import { firstNonFinite } from '../functions/domain/finite.js';
import { validate } from '../functions/domain/issues.js';
import { parseCli } from './cli.js';

/**
 * `npm run allocate -- --input FILE`: reads an AllocationInput and prints the Allocation as JSON.
 * Exit 0 on any allocation (held included); exit 2 naming each problem's path on invalid input, and on an
 * input the allocator cannot honour (a result that is not a finite number), without a stack trace.
 */
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values } = parseCli(
  `npm run allocate -- --input FILE

Reads an AllocationInput (docs/allocation.md) and prints the Allocation as JSON.
Exit 0 on any allocation, a held one included; exit 2 naming each problem's path on invalid input.`,
  { input: { type: 'string' } },
);
if (!values.input) fail('usage: npm run allocate -- --input FILE');
let raw: unknown;
try {
  raw = JSON.parse(readFileSync(values.input!, 'utf8'));
} catch (error) {
  fail(`${values.input}: ${(error as Error).message}`);
}
const input = validate(AllocationInput, raw);
if (!input.ok)
  fail(`${values.input} is not a valid AllocationInput:\n${input.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
/** An input that passes the schema but that the allocator cannot turn into a plan. */
function cannotHonour(path: string, message: string): never {
  fail(`${values.input} is not an input the allocator can honour:\n  - ${path}: ${message}`);
}
let allocation: unknown;
try {
  allocation = allocate(input.value, { timer: () => performance.now() });
} catch (error) {
  cannotHonour('$', `the allocator failed: ${String((error as Error).message).split('\n')[0]}`);
}
// JSON would print Infinity or NaN as null: refuse rather than print a plan with holes in it.
const hole = firstNonFinite(allocation);
if (hole !== null) cannotHonour(hole, 'this number of the allocation is not finite: the input holds amounts too large to compute with');
console.log(JSON.stringify(allocation, null, 2));
