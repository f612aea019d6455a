import { createInterface } from 'node:readline';
import { answerAllocation } from './allocateAnswer.js';

/**
 * `--ndjson`: one AllocationInput per line of `input`, one answer per line of `output`, in order. An answer is
 * the Allocation the CLI prints, on one line; a refusal is `{"error":{"code","message","issues"}}` with the
 * CLI's message (naming `line N`) and paths. Blank lines are skipped. Resolves once the input ends.
 */
export const answerLines = async (input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> => {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (text.trim() === '') continue;
    const answer = answerAllocation(text, `line ${line}`);
    output.write(`${JSON.stringify(answer.ok ? answer.allocation : { error: answer.refusal })}\n`);
  }
};
