import { createHash } from 'node:crypto';

/** Hex SHA-256 of a string. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted at every depth, so equal values hash equally whatever their key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** The config hash recorded on every snapshot and alert: the first 12 hex digits of the canonical config's SHA-256. */
export const configHash = (config: unknown): string => sha256(canonicalJson(config)).slice(0, 12);
