/**
 * Rows of cells as lines whose columns line up (each padded to its column's widest cell), with
 * two spaces between columns and no trailing space. Cells are plain text: no colour codes.
 */
export function alignColumns(rows: string[][]): string[] {
	const widths: number[] = [];
	for (const row of rows)
		row.forEach((cell, column) => {
			widths[column] = Math.max(widths[column] ?? 0, cell.length);
		});
	return rows.map((row) =>
		row
			.map((cell, column) => cell.padEnd(widths[column]!))
			.join('  ')
			.trimEnd(),
	);
}
