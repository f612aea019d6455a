import { formatPath } from './issues.js';

/**
 * The path of the first number in `value` that is not finite (NaN or ±Infinity), or null when every number
 * is. JSON.stringify writes such a number as `null`, so an output is checked before it is serialized.
 */
export const firstNonFinite = (value: unknown): string | null => {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: node, path } = stack.pop()!;
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return formatPath(path);
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) stack.push({ value: node[i], path: [...path, i] });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node).reverse()) stack.push({ value: child, path: [...path, key] });
    }
  }
  return null;
};
