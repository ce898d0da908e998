/**
 * The rule for a name people read (a client's name, an API token's, a service's display name, the
 * agency name on the connect pages): one line of visible text, exactly as given. Refused:
 *
 * - control characters (Unicode category Cc: C0, DEL, C1 incl. U+0085 NEXT LINE);
 * - line and paragraph separators (Zl U+2028, Zp U+2029);
 * - format characters (Cf), among them the bidirectional embeddings, overrides and isolates
 *   (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C) that make a name read
 *   differently from what it holds (Unicode Technical Report #36 §2.1, CVE-2021-42574), zero-width
 *   spaces and U+FEFF; except ZERO WIDTH NON-JOINER and JOINER (U+200C, U+200D), which Persian and
 *   Indic names and emoji sequences need;
 * - a blank value: nothing but whitespace and default-ignorable code points (Unicode §5.21, the
 *   property Default_Ignorable_Code_Point: ZWJ, ZWNJ, variation selectors, the Hangul fillers,
 *   COMBINING GRAPHEME JOINER), which the allowed ones above cannot make visible on their own;
 * - whitespace at either end: refused, not trimmed, so that what is stored and shown is what the
 *   caller sent and two names differing only in padding cannot both look alike.
 */
const INVISIBLE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** Whether a text shows no glyph: only whitespace and default-ignorable code points. */
const BLANK = /^[\s\p{Default_Ignorable_Code_Point}]*$/u;
/** The schema's unit for maxLength: code points (Ajv's `unicode` default), not UTF-16 units. */
export const displayNameLength = (text: string): number => [...text].length;

const codePoint = (character: string) =>
	`U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why `text` is not a display name (a sentence fragment that follows the field's name, as Ajv's
 * messages do: `body/name must not be blank`), or undefined when it is one. Length limits are the
 * schema's.
 */
export function displayNameProblem(text: string): string | undefined {
	if (BLANK.test(text)) return 'must not be blank';
	const invisible = INVISIBLE.exec(text);
	if (invisible)
		return (
			`must not contain control, format or line-separator characters (${codePoint(invisible[0])} ` +
			`at character ${invisible.index + 1})`
		);
	if (text.trim() !== text) return 'must not begin or end with whitespace';
	return undefined;
}
