import * as z from '../schema.js';

/** The query of `GET /portfolios/{id}/alerts`: open, resolved, or all of them (the default). */
export const AlertsQuery = z.strictObject({ status: z.optional(z.enum(['open', 'resolved', 'all'])) });
