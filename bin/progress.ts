/**
 * Progress for long work (backtest, bench, load, demo seeding): one line rewritten in place on a terminal,
 * nothing at all when the output is piped or redirected, so logs and `--json` output stay clean.
 */
export interface Progress {
  /** Shows `label: done/total`. */
  step(done: number, total: number, label: string): void;
  /** Clears the line. */
  end(): void;
}

export const progress = (stream: NodeJS.WriteStream = process.stderr): Progress => {
  if (!stream.isTTY) return { step: () => undefined, end: () => undefined };
  return {
    step: (done, total, label) => stream.write(`\r\x1b[2K${label}: ${done}/${total}`),
    end: () => stream.write('\r\x1b[2K'),
  };
};
