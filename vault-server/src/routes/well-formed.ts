/** The deepest a request's JSON may nest, the body itself level 1: `metadata` holds 31 levels. */
export const MAX_NESTING = 32;

/** NUL or a UTF-16 surrogate not in a pair (a well-formed pair is one code point under `u`). */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

export interface TextProblem {
	/** JSON Pointer of the value, as Ajv's instancePath: `/metadata/a`. */
	path: string;
	message: string;
}

const pointer = (path: string, key: string | number) =>
	`${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/**
 * The first string (value or key) in a parsed request part that PostgreSQL cannot store, or the
 * first value nested deeper than MAX_NESTING; undefined when there is none. `text` and `jsonb`
 * refuse NUL, and `jsonb` and UTF-8 have no encoding for an unpaired surrogate, so either would
 * fail the write (or the audit row) as a 500 instead of being refused here as a 400. Iterative,
 * so a body nested thousands deep cannot exhaust the stack.
 */
export function unstorableText(value: unknown): TextProblem | undefined {
	const pending: [unknown, string, number][] = [[value, '', 1]];
	while (pending.length > 0) {
		const [current, path, depth] = pending.pop()!;
		if (typeof current === 'string') {
			if (UNSTORABLE.test(current)) return { path, message: UNSTORABLE_MESSAGE };
			continue;
		}
		if (current === null || typeof current !== 'object') continue;
		if (depth > MAX_NESTING) {
			return { path, message: `must not be nested more than ${MAX_NESTING} levels deep` };
		}
		for (const [key, child] of Object.entries(current)) {
			const childPath = pointer(path, key);
			if (UNSTORABLE.test(key)) return { path: childPath, message: UNSTORABLE_MESSAGE };
			pending.push([child, childPath, depth + 1]);
		}
	}
	return undefined;
}

const UNSTORABLE_MESSAGE = 'must not contain NUL (\\u0000) or an unpaired UTF-16 surrogate';
