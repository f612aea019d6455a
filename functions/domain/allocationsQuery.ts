import { z } from 'zod';
import { snapshotIdBound } from './snapshots.js';

/** A `from`/`to` bound: a date (the whole day) or an ISO instant, turned into a snapshot-id bound. */
const bound = (side: 'from' | 'to') =>
  z.string().transform((value, ctx) => {
    const id = snapshotIdBound(value, side);
    if (id === undefined) ctx.addIssue({ code: 'custom', message: 'expected a date (YYYY-MM-DD) or an ISO 8601 instant' });
    return id ?? '';
  });

/** Query of `GET /portfolios/{id}/allocations`: newest first, at most `limit`, `cursor` from the last page. */
export const ListQuery = z.strictObject({
  from: bound('from').optional(),
  to: bound('to').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

/** Query of `GET /portfolios/{id}/allocations/diff`: two snapshot ids; by default the latest and the one before. */
export const DiffQuery = z.strictObject({ from: z.string().min(1).optional(), to: z.string().min(1).optional() });

/** Query of `GET /portfolios/{id}/allocations/{snapshotId}`. */
export const SnapshotQuery = z.strictObject({ format: z.enum(['json', 'csv']).optional() });
