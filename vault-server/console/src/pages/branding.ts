import { api, ApiError } from '../api.js';
import { h, replace } from '../dom.js';
import type { Branding } from '../types.js';
import { brandingPreview } from './branding-preview.js';

/** The connect pages' colour when the agency set none (the vault's DEFAULT_ACCENT). */
const DEFAULT_ACCENT = '#2563eb';
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** The API's message when it refused, else `fallback` (the vault was not reached, or closed). */
const messageOf = (error: unknown, fallback: string) =>
	error instanceof ApiError ? error.message : fallback;

/**
 * The branding of the pages clients see (GET/PUT /v1/branding, PUT/DELETE /v1/branding/logo):
 * agency name, accent colour (picker and `#rrggbb` text, kept in step), logo upload and removal,
 * and a preview of a connect page. The API checks the logo (PNG, JPEG or WebP, at most 256 KiB);
 * its refusal is shown as it words it.
 */
export async function brandingPage(): Promise<HTMLElement> {
	let saved = await api<Branding>('GET', '/v1/branding');
	const status = h('p', { role: 'status', class: 'hint' });
	const alert = h('p', { role: 'alert', class: 'error' });
	const say = (text: string, failed = false) => {
		replace(status, failed ? '' : text);
		replace(alert, failed ? text : '');
	};

	const name = h('input', {
		id: 'brand-name',
		name: 'agency_name',
		maxlength: 100,
		value: saved.agency_name ?? '',
		autocomplete: 'organization',
	});
	const color = h('input', {
		id: 'brand-accent',
		name: 'accent_color',
		maxlength: 7,
		pattern: '#[0-9A-Fa-f]{6}',
		placeholder: DEFAULT_ACCENT,
		value: saved.accent_color ?? '',
		'aria-describedby': 'brand-accent-hint',
	});
	const picker = h('input', {
		id: 'brand-accent-picker',
		type: 'color',
		value: saved.accent_color ?? DEFAULT_ACCENT,
	});
	const preview = h('section', { 'aria-labelledby': 'preview-title' });
	const showPreview = () =>
		replace(
			preview,
			h('h2', { id: 'preview-title' }, 'Preview'),
			h('p', { class: 'hint' }, 'How a connect page looks with the values above (saved or not).'),
			brandingPreview(
				name.value.trim() || null,
				COLOR.test(color.value) ? color.value.toLowerCase() : DEFAULT_ACCENT,
				saved.logo?.url ?? null,
			),
		);
	picker.addEventListener('input', () => {
		color.value = picker.value;
		showPreview();
	});
	color.addEventListener('input', () => {
		if (COLOR.test(color.value)) picker.value = color.value.toLowerCase();
		showPreview();
	});
	name.addEventListener('input', showPreview);

	const textForm = h(
		'form',
		{ class: 'stack', 'aria-labelledby': 'brand-text-title' },
		h('h2', { id: 'brand-text-title' }, 'Name and colour'),
		h('label', { for: 'brand-name' }, 'Agency name'),
		name,
		h('label', { for: 'brand-accent' }, 'Accent colour (#rrggbb)'),
		h(
			'div',
			{ class: 'inline' },
			h('label', { for: 'brand-accent-picker', class: 'visually-hidden' }, 'Accent colour picker'),
			picker,
			color,
		),
		h('p', { id: 'brand-accent-hint', class: 'hint' }, `Empty: the default ${DEFAULT_ACCENT}.`),
		h('button', { type: 'submit' }, 'Save name and colour'),
	);
	textForm.addEventListener('submit', (event) => {
		event.preventDefault();
		const body = {
			agency_name: name.value.trim() || null,
			accent_color: color.value.trim() || null,
		};
		api<Branding>('PUT', '/v1/branding', body).then(
			(branding) => {
				saved = branding;
				color.value = branding.accent_color ?? '';
				picker.value = branding.accent_color ?? DEFAULT_ACCENT;
				showPreview();
				say('Saved: the connect pages show the new name and colour.');
			},
			(error: unknown) => say(messageOf(error, 'The branding could not be saved'), true),
		);
	});

	const file = h('input', {
		id: 'brand-logo',
		type: 'file',
		name: 'logo',
		accept: 'image/png,image/jpeg,image/webp',
		'aria-describedby': 'brand-logo-hint',
	});
	const current = h('p', {});
	const removeButton = h('button', { type: 'button', class: 'danger' }, 'Remove logo');
	const showLogo = () => {
		replace(
			current,
			saved.logo
				? `Current logo: ${saved.logo.content_type}, ${Math.ceil(saved.logo.bytes / 1024)} KiB.`
				: 'No logo: the pages show the agency name alone.',
		);
		removeButton.hidden = !saved.logo;
	};
	const logoSaved = (message: string) => (branding: Branding) => {
		saved = branding;
		logoForm.reset();
		showLogo();
		showPreview();
		say(message);
	};
	removeButton.addEventListener('click', () => {
		api<Branding>('DELETE', '/v1/branding/logo').then(logoSaved('Logo removed.'), (error) =>
			say(messageOf(error, 'The logo could not be removed'), true),
		);
	});
	const logoForm = h(
		'form',
		{ class: 'stack', 'aria-labelledby': 'brand-logo-title' },
		h('h2', { id: 'brand-logo-title' }, 'Logo'),
		current,
		h('label', { for: 'brand-logo' }, 'Logo file'),
		file,
		h('p', { id: 'brand-logo-hint', class: 'hint' }, 'PNG, JPEG or WebP, at most 256 KiB.'),
		h('div', { class: 'inline' }, h('button', { type: 'submit' }, 'Upload logo'), removeButton),
	);
	logoForm.addEventListener('submit', (event) => {
		event.preventDefault();
		const chosen = file.files?.[0];
		if (!chosen) return say('Choose a logo file first.', true);
		api<Branding>('PUT', '/v1/branding/logo', chosen).then(
			logoSaved('Logo uploaded.'),
			// a body over the limit may be cut off by the vault before its answer arrives
			(error: unknown) =>
				say(messageOf(error, 'The upload failed: is the file larger than 256 KiB?'), true),
		);
	});

	showLogo();
	showPreview();
	return h(
		'div',
		{},
		h('h1', { tabindex: -1 }, 'Branding'),
		h(
			'p',
			{},
			'The pages your clients see when they open a connect link carry these: the connect, ' +
				'success, expired and error pages.',
		),
		status,
		alert,
		textForm,
		logoForm,
		preview,
	);
}
