import type * as z from './schema.js';

/** One problem with an input, located by its JSON path (`records[3].spend`). */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** Formats a zod path as `portfolios[0].channels[2].base`; the root is `$`. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') || '$';

/**
 * Every issue of a zod error, each with its path. An unknown key is an issue at its own path (`records[0].conversion`,
 * a query's `chanel`), not one at its object's listing the names: a sender or a form finds it where it wrote it.
 */
export const toIssues = (error: z.core.$ZodError): Issue[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? // At most twenty per object, each name cut to 200 characters: a signed body of a million one-letter keys
        // would otherwise be answered with ten times its size.
        [
          ...issue.keys
            .slice(0, 20)
            .map((key) => ({ path: formatPath([...issue.path, key.slice(0, 200)]), message: 'is not a known key: check its spelling' })),
          ...(issue.keys.length > 20
            ? [
                {
                  path: formatPath(issue.path),
                  message: `has ${issue.keys.length - 20} more unknown ${issue.keys.length === 21 ? 'key' : 'keys'}, not listed`,
                },
              ]
            : []),
        ]
      : [{ path: formatPath(issue.path), message: issue.message }],
  );

/** The outcome of validating untrusted input: the parsed value, or every issue found. */
export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: Issue[] };

/** Parses with a zod schema and reports every issue with its path. */
export const validate = <S extends z.ZodMiniType>(schema: S, input: unknown): Validated<z.infer<S>> => {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error) };
};

/** Why untrusted input was refused, in the domain's words; the HTTP adapter maps each kind to a status. */
export type RejectionKind = 'malformed-json' | 'invalid-delivery' | 'too-many-records' | 'unknown-reference';

/** A refusal: its kind, a message for people, and every problem with its path. */
export interface Rejection {
  readonly kind: RejectionKind;
  readonly message: string;
  readonly issues: readonly Issue[];
}

/** A rejection whose message is its one issue's, or a count pointing at the list. */
export const rejection = (kind: RejectionKind, issues: readonly Issue[]): Rejection => ({
  kind,
  message: issues.length === 1 ? issues[0]!.message : `${issues.length} problems, listed in issues`,
  issues,
});
