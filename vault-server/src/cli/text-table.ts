const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

// East Asian Wide and Fullwidth blocks (Unicode UAX #11): two cells on a terminal
const WIDE: [number, number][] = [
	[0x1100, 0x115f],
	[0x231a, 0x231b],
	[0x2329, 0x232a],
	[0x2e80, 0x303e],
	[0x3041, 0x33ff],
	[0x3400, 0x4dbf],
	[0x4e00, 0x9fff],
	[0xa000, 0xa4cf],
	[0xa960, 0xa97f],
	[0xac00, 0xd7a3],
	[0xf900, 0xfaff],
	[0xfe10, 0xfe19],
	[0xfe30, 0xfe6f],
	[0xff00, 0xff60],
	[0xffe0, 0xffe6],
	[0x1f300, 0x1f64f],
	[0x1f900, 0x1f9ff],
	[0x20000, 0x3fffd],
];
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;

/** Cells one grapheme takes on a terminal: 0 (combining, format), 2 (wide, emoji) or 1. */
function graphemeWidth(grapheme: string): number {
	if (ZERO_WIDTH.test(grapheme)) return 0;
	const first = grapheme.codePointAt(0)!;
	if (WIDE.some(([from, to]) => first >= from && first <= to)) return 2;
	return /\p{Emoji_Presentation}|\uFE0F/u.test(grapheme) ? 2 : 1;
}

/** How many terminal cells `text` takes: graphemes, wide East Asian characters counted twice. */
export function displayWidth(text: string): number {
	let width = 0;
	for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
	return width;
}

/**
 * Rows of cells as lines whose columns line up (each padded to its column's widest cell, measured
 * in terminal cells), with two spaces between columns and no trailing space. Cells are plain
 * text: no colour codes.
 */
export function alignColumns(rows: string[][]): string[] {
	const widths: number[] = [];
	for (const row of rows)
		row.forEach((cell, column) => {
			widths[column] = Math.max(widths[column] ?? 0, displayWidth(cell));
		});
	return rows.map((row) =>
		row
			.map((cell, column) => cell + ' '.repeat(widths[column]! - displayWidth(cell)))
			.join('  ')
			.trimEnd(),
	);
}
