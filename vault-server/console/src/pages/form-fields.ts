import { h } from '../dom.js';

/** A labelled input (the label's `for` names it) with an optional hint it is described by. */
export function field(
	id: string,
	label: string,
	attributes: Record<string, string | number | boolean | undefined> = {},
	hint?: string,
): { wrap: HTMLElement[]; input: HTMLInputElement } {
	const hintId = hint ? `${id}-hint` : undefined;
	const input = h('input', { id, name: id, 'aria-describedby': hintId, ...attributes });
	return {
		input,
		wrap: [
			h('label', { for: id }, label),
			input,
			...(hint ? [h('p', { id: hintId, class: 'hint' }, hint)] : []),
		],
	};
}

/** The value of an optional text field: trimmed, `undefined` when empty. */
export const valueOf = (input: HTMLInputElement): string | undefined =>
	input.value.trim() === '' ? undefined : input.value.trim();
