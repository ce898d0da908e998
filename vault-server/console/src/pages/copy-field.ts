import { h } from '../dom.js';

let fields = 0;

/** A read-only field holding `value` (a link, a token shown once) with a button that copies it. */
export function copyField(label: string, value: string, buttonText: string): HTMLElement {
	const id = `copy-${++fields}`;
	const input = h('input', { id, type: 'text', readonly: true, value, class: 'copy-value' });
	const status = h('span', { role: 'status', class: 'hint' });
	const copy = () => {
		input.select();
		const done = () => (status.textContent = 'Copied.');
		navigator.clipboard
			?.writeText(value)
			.then(done, () => (status.textContent = 'Press Ctrl+C to copy.'));
	};
	return h(
		'div',
		{ class: 'copy-field' },
		h('label', { for: id }, label),
		h(
			'div',
			{ class: 'inline' },
			input,
			h('button', { type: 'button', onclick: copy }, buttonText),
		),
		status,
	);
}
