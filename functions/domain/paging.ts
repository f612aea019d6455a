import * as z from './schema.js';

/**
 * How many items a list query asks for: a plain whole number from 1 to 100, as a query parameter's text.
 * Coercing it took `0x10`, `1e1` and ` 5` on one list while another refused them.
 */
export const PageLimit = z.pipe(z.string().check(z.regex(/^(100|[1-9]\d?)$/, 'a whole number from 1 to 100')), z.transform(Number));
