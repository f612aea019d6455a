import { readFileSync } from 'node:fs';
import { allocate } from '../functions/domain/allocation/allocate.js';
import { AllocationInput } from '../functions/domain/allocation/schemas.js';
import { validate } from '../functions/domain/issues.js';
import { parseCli } from './cli.js';

/**
 * `npm run allocate -- --input FILE`: reads an AllocationInput and prints the Allocation as JSON.
 * Exit 0 on any allocation (held included); exit 2 naming each problem's path on invalid input.
 */
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};

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
else console.log(JSON.stringify(allocate(input.value, { timer: () => performance.now() }), null, 2));
