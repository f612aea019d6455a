/**
 * The path of the first key repeated within one object of a JSON text, or null when there is none. Parsers
 * disagree on repeated keys (the last wins in JSON.parse, the first in others), and a signature covers bytes
 * two parsers could read differently, so a body that repeats a key is refused rather than guessed at.
 * Expects text that JSON.parse accepts; one pass, no recursion, and the path is only spelled out for the
 * repeat it finds (so 200k-deep nesting stays linear).
 */
export const firstDuplicateKey = (text: string): string | null => duplicateKeys(text, 1)[0] ?? null;

/**
 * The paths of keys repeated within one object of a JSON text, in order, at most `limit` of them (the
 * operator config lists every one; the webhook stops at the first). Same single pass as
 * {@link firstDuplicateKey}.
 */
export const duplicateKeys = (text: string, limit = Number.POSITIVE_INFINITY): string[] => {
  const found: string[] = [];
  type Frame = { readonly kind: 'object'; readonly keys: Set<string>; key: string | null } | { readonly kind: 'array'; index: number };
  const stack: Frame[] = [];
  const path = (): string =>
    stack.reduce<string>(
      (out, frame) => (frame.kind === 'array' ? `${out}[${frame.index}]` : out === '' ? frame.key! : `${out}.${frame.key}`),
      '',
    ) || '$';
  let expectKey = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (expectKey && top?.kind === 'object') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        top.key = key;
        if (top.keys.has(key)) {
          found.push(path());
          if (found.length >= limit) return found;
        }
        top.keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push({ kind: 'object', keys: new Set(), key: null });
      expectKey = true;
    } else if (c === '[') {
      stack.push({ kind: 'array', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'array') top.index += 1;
      else expectKey = true;
    }
  }
  return found;
};

/** Repeated keys a refusal names, at most: a body built to repeat thousands would otherwise answer with megabytes. */
const REPEATS_NAMED = 20;

/**
 * A refusal's issues for the keys a JSON text repeats (JSON.parse keeps the last value without a word: which
 * did the sender mean?): the first {@link REPEATS_NAMED}, a path through thousands of nested objects named by
 * its last 200 characters. Empty when no key repeats.
 */
export const repeatedKeyIssues = (text: string): { path: string; message: string }[] =>
  duplicateKeys(text, REPEATS_NAMED).map((path) => ({
    path: path.length > 200 ? `…${path.slice(-200)}` : path,
    message: 'this key appears more than once in its object',
  }));
