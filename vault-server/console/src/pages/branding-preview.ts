import { h } from '../dom.js';

/**
 * A connect page's card as a client would see it with this branding: the logo (from the vault's
 * own `/branding/logo`), the agency name and the accent colour. The colour is set through the
 * CSSOM (a custom property), which the console's CSP allows where a `style` attribute is not.
 */
export function brandingPreview(
	agencyName: string | null,
	accent: string,
	logoUrl: string | null,
): HTMLElement {
	const card = h(
		'div',
		{ class: 'preview-card' },
		h(
			'div',
			{ class: 'preview-header' },
			logoUrl ? h('img', { src: logoUrl, alt: agencyName ? `${agencyName} logo` : 'Logo' }) : null,
			agencyName ? h('span', { class: 'preview-agency' }, agencyName) : null,
		),
		h('div', { class: 'preview-status', 'aria-hidden': 'true' }, '✓'),
		h('p', { class: 'preview-title' }, 'Connected'),
		h('p', {}, 'Your account is connected. You can close this page.'),
	);
	card.style.setProperty('--preview-accent', accent);
	return card;
}
