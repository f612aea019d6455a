import { isUtf8 } from 'node:buffer';

/** Where a body stops being UTF-8 (RFC 3629), and why, in the words the sender can act on. */
export interface Utf8Problem {
  /** The byte offset of the first byte of the first sequence that is not UTF-8; everything before it is. */
  readonly offset: number;
  readonly byte: number;
  readonly problem: string;
}

const isContinuation = (byte: number | undefined) => byte !== undefined && byte >= 0x80 && byte <= 0xbf;

/**
 * The second byte's range each lead byte allows (RFC 3629, table 3-7 of Unicode): below it the character
 * would fit fewer bytes (overlong), above it a surrogate (0xed) or a code point beyond U+10FFFF (0xf4).
 */
const secondByte = (lead: number): { min: number; max: number; below: string; above: string } => {
  const any = { min: 0x80, max: 0xbf, below: '', above: '' };
  if (lead === 0xe0) return { ...any, min: 0xa0, below: 'is an overlong encoding (a shorter sequence holds its character)' };
  if (lead === 0xed) return { ...any, max: 0x9f, above: 'encodes a surrogate (U+D800–U+DFFF), which UTF-8 never carries' };
  if (lead === 0xf0) return { ...any, min: 0x90, below: 'is an overlong encoding (a shorter sequence holds its character)' };
  if (lead === 0xf4) return { ...any, max: 0x8f, above: 'encodes beyond U+10FFFF, the last code point' };
  return any;
};

/** Why the sequence whose lead byte sits at `at` is not UTF-8, or undefined when it is (with its length). */
const sequenceAt = (bytes: Uint8Array, at: number): { length: number; problem?: string } => {
  const lead = bytes[at]!;
  if (lead < 0x80) return { length: 1 };
  if (lead < 0xc0) return { length: 1, problem: 'is a continuation byte where a character should begin' };
  if (lead < 0xc2) return { length: 1, problem: 'is an overlong encoding (a shorter sequence holds its character)' };
  if (lead > 0xf7) return { length: 1, problem: 'never appears in UTF-8' };
  if (lead > 0xf4) return { length: 1, problem: 'encodes beyond U+10FFFF, the last code point' };
  const length = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  const cutShort = { length: 1, problem: `starts a ${length}-byte sequence that is cut short` };
  const second = bytes[at + 1];
  if (!isContinuation(second)) return cutShort;
  const range = secondByte(lead);
  if (second! < range.min) return { length: 1, problem: range.below };
  if (second! > range.max) return { length: 1, problem: range.above };
  for (let i = 2; i < length; i++) if (!isContinuation(bytes[at + i])) return cutShort;
  return { length };
};

/** The first place `bytes` are not UTF-8, or undefined when they all are. */
export const utf8Problem = (bytes: Uint8Array): Utf8Problem | undefined => {
  if (isUtf8(bytes)) return undefined;
  for (let at = 0; at < bytes.length; ) {
    const { length, problem } = sequenceAt(bytes, at);
    if (problem) return { offset: at, byte: bytes[at]!, problem };
    at += length;
  }
  return undefined; // not reached: isUtf8 said a byte is bad
};
