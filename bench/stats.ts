/** Percentile of a sample (nearest rank). */
export const percentile = (sample: readonly number[], p: number): number => {
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};

export const median = (sample: readonly number[]): number => percentile(sample, 50);

/** Milliseconds taken by `task`. */
export const timed = async (task: () => Promise<unknown> | unknown): Promise<number> => {
  const start = performance.now();
  await task();
  return performance.now() - start;
};

/** Prints a table of rows with aligned columns. */
export const printTable = (title: string, rows: readonly (readonly (string | number)[])[]): void => {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  for (const row of cells) console.log(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
};
