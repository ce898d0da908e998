/** Edits (insert, delete, substitute one character) between `a` and `b`: Levenshtein distance. */
function editDistance(a: string, b: string): number {
	let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++)
			current[j] = Math.min(
				previous[j]! + 1,
				current[j - 1]! + 1,
				previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
			);
		previous = current;
	}
	return previous[b.length]!;
}

/**
 * One warning per variable a `.env` file sets that the vault does not read but whose name is at
 * most two edits from one it does (`DATABSE_URL`): a misspelt name would otherwise be ignored in
 * silence, and the vault would start on a default. Other unknown names (a compose file's own
 * variables) are left alone. `files` maps a variable to the `.env` path that set it.
 */
export function misspeltVariables(files: Record<string, string>, known: string[]): string[] {
	const warnings: string[] = [];
	for (const [name, path] of Object.entries(files)) {
		if (known.includes(name) || !path.endsWith('.env')) continue;
		const upper = name.toUpperCase();
		const closest = known
			.map((candidate) => ({ candidate, distance: editDistance(upper, candidate) }))
			.sort((a, b) => a.distance - b.distance)[0];
		if (closest && closest.distance <= 2)
			warnings.push(
				`${name} (set in ${path}) is not a variable the vault reads; did you mean ${closest.candidate}?`,
			);
	}
	return warnings;
}
