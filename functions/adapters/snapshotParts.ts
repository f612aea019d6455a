import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * How a snapshot too large for one DynamoDB item is stored. An item holds at most 400 KB, about 1,100
 * channels of allocation, and the config allows 5,000 (1.6 MB of JSON). Such an allocation is gzipped
 * (channel rows repeat their field names and sentences, so 5,000 channels shrink to well under one part) and the
 * bytes are cut into parts of at most {@link PART_BYTES}, each an item of its own.
 */

/**
 * A snapshot item whose JSON is longer than this is stored in parts. JSON is never shorter than DynamoDB's
 * own measure of the same item (field names and strings count the same; numbers and separators count more
 * in JSON), so this leaves at least 50 KB of the 400 KB limit unused.
 */
export const WHOLE_ITEM_BYTES = 350_000;

/** Bytes of compressed allocation per part item: with its keys, well inside the 400 KB limit. */
export const PART_BYTES = 350_000;

/** Whether an item, as written, is too large to be one snapshot item. */
export const needsParts = (item: unknown): boolean => Buffer.byteLength(JSON.stringify(item)) > WHOLE_ITEM_BYTES;

/** The allocation as gzipped JSON, cut into parts in order. */
export const packParts = (allocation: unknown): Uint8Array[] => {
  const bytes = gzipSync(JSON.stringify(allocation));
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += PART_BYTES) parts.push(bytes.subarray(at, at + PART_BYTES));
  return parts;
};

/**
 * The allocation back from its parts, in order. A missing or damaged part fails here rather than giving a
 * partial allocation: gzip's trailer carries the length and CRC-32 of the whole.
 */
export const unpackParts = (parts: readonly Uint8Array[]): unknown => JSON.parse(gunzipSync(Buffer.concat(parts)).toString('utf8'));
