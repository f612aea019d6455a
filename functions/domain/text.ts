import * as z from './schema.js';

/** A lone UTF-16 surrogate (`\ud800` in JSON decodes to one): no encoding can carry it to a page, a link or a log. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text that shows nothing: spaces, characters drawn as nothing (a zero-width space, a Hangul filler), and the
 * Braille blank, which fonts draw as an empty cell.
 */
const BLANK = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/**
 * A control character (U+0000–U+001F, U+007F–U+009F) or a line or paragraph separator (U+2028, U+2029): a NUL
 * or a bell stored in a reason reached the CSV as it was.
 */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/** `text` without the byte-order mark an editor may save a file with (a config, a CSV of history). */
export const withoutBom = (text: string): string => (text.startsWith('\uFEFF') ? text.slice(1) : text);

/** `text` with each lone surrogate as U+FFFD, the replacement character: text stored before it was refused still shows. */
export const wellFormed = (text: string): string => text.replace(/\p{Cs}/gu, '\uFFFD');

const wellFormedCheck = z.refine<string>(
  (text) => !LONE_SURROGATE.test(text),
  'must be well-formed Unicode (no lone surrogate such as \\ud800)',
);

/**
 * An identifier a sender chooses (a delivery's id), up to `max` characters: well-formed Unicode, since it is
 * stored, logged and echoed back, and a lone surrogate has no UTF-8 for any of them.
 */
export const Key = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), wellFormedCheck);

/**
 * Free text a person writes (a reason, a name), up to `max` characters: one line of well-formed Unicode, and
 * more than spaces. A reason of `"\ud800"` was stored, and then the dashboard answered 500 until the next plan, since its
 * CSV link could not encode it; a reason of spaces released the reserve with no reason at all.
 */
export const Text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    wellFormedCheck,
    z.refine(
      (text) => !CONTROL.test(text),
      'must not hold control characters (such as \\u0000, a tab or a line break): it is one line of text',
    ),
    // An empty one is minLength's to report; one of control characters, CONTROL's.
    z.refine(
      (text) => text.length === 0 || CONTROL.test(text) || !BLANK.test(text),
      'must show something, not only spaces or invisible characters',
    ),
  );
