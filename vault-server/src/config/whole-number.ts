/**
 * The one rule for a whole number, whether a variable (PORT) or a flag (--port) gave it: decimal
 * digits only, so `0x10`, `1e3`, `+4107`, `4107.0` and ` 4107` are refused rather than read as a
 * number the operator did not write. Undefined when `text` is one from `min` to `max`.
 */
export function wholeNumberProblem(text: string, min: number, max?: number): string | undefined {
	const value = Number(text);
	if (/^\d+$/.test(text) && value >= min && (max === undefined || value <= max)) return undefined;
	return max === undefined
		? `a whole number of at least ${min}`
		: `a whole number from ${min} to ${max}`;
}
