/**
 * CSV as RFC 4180 §2 writes it: fields separated by commas, records ended by CRLF, a field holding
 * a comma, a double quote, CR or LF enclosed in double quotes with its quotes doubled.
 *
 * A text field that a spreadsheet would read as a formula (OWASP "CSV Injection": it starts with
 * `=`, `+`, `-`, `@`, a tab or a CR) is prefixed with `'`, so opening the export never runs what a
 * client name, a user agent or a workflow id carried.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
// `;` too: spreadsheets set to a locale whose list separator is `;` split an unquoted field there,
// and the part after it would be read on its own, as a formula when it starts like one
const NEEDS_QUOTES = /[",;\r\n]/;

/** One field: null and undefined are empty, objects are JSON, text is neutralised and quoted. */
export function csvField(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	let text = typeof value === 'string' ? value : JSON.stringify(value);
	if (FORMULA_START.test(text)) text = `'${text}`;
	return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF included. */
export const csvRecord = (values: readonly unknown[]): string =>
	`${values.map(csvField).join(',')}\r\n`;
