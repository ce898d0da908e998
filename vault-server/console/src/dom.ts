/**
 * Builds DOM elements. Every string child becomes a text node and every attribute is set with
 * setAttribute, so a value from a client, a provider or an operator is shown as text, never
 * parsed as HTML: nothing here (or anywhere in the console) assigns innerHTML.
 */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
	[attribute: string]: string | number | boolean | undefined | EventListener;
}

export function h<K extends keyof HTMLElementTagNameMap>(
	tag: K,
	props: Props = {},
	...children: Child[]
): HTMLElementTagNameMap[K] {
	const element = document.createElement(tag);
	for (const [name, value] of Object.entries(props)) {
		if (value === undefined || value === false) continue;
		if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
		else element.setAttribute(name, value === true ? '' : String(value));
	}
	append(element, children);
	return element;
}

function append(parent: Node, children: Child[]): void {
	for (const child of children) {
		if (child === null || child === undefined || child === false) continue;
		if (Array.isArray(child)) append(parent, child);
		else if (child instanceof Node) parent.appendChild(child);
		else parent.appendChild(document.createTextNode(String(child)));
	}
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
	parent.replaceChildren();
	append(parent, children);
}

/** A table in a focusable, labelled region that scrolls sideways on a narrow screen. */
export function table(label: string, headers: string[], rows: Child[][]): HTMLElement {
	return h(
		'div',
		{ class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: 0 },
		h(
			'table',
			{},
			h('caption', { class: 'visually-hidden' }, label),
			h(
				'thead',
				{},
				h(
					'tr',
					{},
					headers.map((text) => h('th', { scope: 'col' }, text)),
				),
			),
			h(
				'tbody',
				{},
				rows.map((cells) =>
					h(
						'tr',
						{},
						cells.map((cell) => h('td', {}, cell)),
					),
				),
			),
		),
	);
}
