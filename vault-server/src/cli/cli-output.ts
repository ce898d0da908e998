/**
 * A failure a command reports in full by its message: one line (or a short readable message) on
 * stderr, prefixed `otobot-vault:`, with no stack trace, and exit status 1.
 */
export class CliFailure extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CliFailure';
	}
}

// C0 (but the newline), DEL, C1, and the bidirectional overrides and isolates that reorder text
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` safe to write to a terminal: each control character shown as an escape (`\x1b`), so a
 * value a user typed or a database held cannot set the window title, colours or the cursor.
 * Newlines are kept: a message may have several lines.
 */
export const printable = (text: string): string =>
	text.replace(UNPRINTABLE, (char) => {
		const code = char.charCodeAt(0);
		return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
	});

/** Writes a command's failure to stderr as every failure of the CLI reads: `otobot-vault: ...`. */
export function reportFailure(message: string): void {
	process.stderr.write(`otobot-vault: ${printable(message)}\n`);
}
