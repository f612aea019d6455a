import { PageLimit } from './paging.js';
import * as z from './schema.js';
import { snapshotIdBound } from './snapshots.js';

/** A `from`/`to` bound: a date (the whole day) or an ISO instant, turned into a snapshot-id bound. */
const bound = (side: 'from' | 'to') =>
  z.pipe(
    z.string(),
    z.transform((value: string, ctx) => {
      const id = snapshotIdBound(value, side);
      if (id === undefined)
        ctx.issues.push({ code: 'custom', message: 'expected a date (YYYY-MM-DD) or an ISO 8601 instant', input: value });
      return id ?? '';
    }),
  );

/**
 * Query of `GET /portfolios/{id}/allocations`: newest first, at most `limit`, `cursor` from the last page.
 * Published snapshots only, unless `include=unpublished` adds those a run wrote and never published.
 */
export const ListQuery = z
  .strictObject({
    from: z.optional(bound('from')),
    to: z.optional(bound('to')),
    limit: z._default(PageLimit, 20),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    include: z.optional(z.enum(['unpublished'])),
  })
  .check(
    z.refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
      message: 'from must not be later than to',
      path: ['from'],
    }),
  );

/** A snapshot id as the system makes them: its creation instant and a random suffix. */
export const SNAPSHOT_ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

/** Query of `GET /portfolios/{id}/allocations/diff`: two snapshot ids; by default the latest and the one before. */
export const DiffQuery = z.strictObject({
  from: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  to: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});

/** Query of `GET /portfolios/{id}/allocations/{snapshotId}` and of `…/allocations/latest`. */
export const SnapshotQuery = z.strictObject({ format: z.optional(z.enum(['json', 'csv'])) });
export type SnapshotQuery = z.infer<typeof SnapshotQuery>;
