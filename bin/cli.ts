import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The project's version, from package.json, for every CLI's `--version`. */
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a CLI's arguments the same way for every command: `--help` prints `usage` and exits 0,
 * `--version` prints the version and exits 0, and an unknown flag or a bad value is one line on stderr and
 * exit 2 (no stack trace).
 */
export const parseCli = <O extends Options>(usage: string, options: O, allowPositionals = false) => {
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  let parsed: ReturnType<typeof parseArgs<{ options: Options; allowPositionals: boolean; strict: true; tokens: true }>>;
  try {
    parsed = parseArgs({ options: all, allowPositionals, strict: true, tokens: true });
  } catch (error) {
    return usageError(argsProblem(error as Error & { code?: string }));
  }
  // parseArgs keeps a repeated option's last value without a word: `--budget 5 --budget 6` meant which?
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || all[token.name]?.multiple) continue;
    if (seen.has(token.name)) usageError(`--${token.name} is given more than once; give it once`);
    seen.add(token.name);
  }
  if (parsed.values.help) {
    console.log(usage.trim());
    process.exit(0);
  }
  if (parsed.values.version) {
    console.log(VERSION);
    process.exit(0);
  }
  return parsed as unknown as { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] };
};

/**
 * parseArgs's refusal in one plain sentence: an unknown option is named alone (its advice about positionals
 * left a quote open), and a value that starts with a dash is shown as it is written (`--seed=-1`), where
 * parseArgs read `--seed -1` as an option missing its value and called it ambiguous.
 */
const argsProblem = (error: Error & { code?: string }): string => {
  const option = /'(--?[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && /ambiguous/.test(error.message)) {
    return `${option} needs a value; one that starts with "-" is written with "=", as in ${option}=-1`;
  }
  return error.message;
};

/** A usage mistake: one line on stderr, exit 2. */
export const usageError = (message: string): never => {
  console.error(`${message} (see --help)`);
  process.exit(2);
};

/** A `--url` value that is an http(s) URL, else a usage error: a typo never reads as "no server answered". */
export const httpUrl = (value: string): string => {
  if (!/^https?:$/.test(URL.parse(value)?.protocol ?? '')) usageError(`--url must be an http:// or https:// URL, not "${value}"`);
  return value;
};
