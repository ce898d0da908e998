import { api } from '../api.js';
import { h, replace, table } from '../dom.js';
import { statusBadge, when } from '../format.js';

interface KeysAnswer {
	active_version: number | null;
	keys: {
		version: number;
		status: string;
		current: boolean;
		created_at: string | null;
		retired_at: string | null;
		ciphertexts: number;
		by_location: Record<string, number>;
	}[];
	rewrap: {
		target_version: number | null;
		done: number;
		total: number;
		remaining: number;
		ratio: number;
	};
}

/** A key version's status words (the API's), with what each means. */
const KEY_LABELS: Record<string, string> = {
	active: 'Seals new secrets',
	decrypt_only: 'Opens older secrets only',
	retired: 'Retired',
	missing: 'Not in encryption_keys',
};

const places = (byLocation: Record<string, number>) =>
	Object.entries(byLocation)
		.filter(([, count]) => count > 0)
		.map(([name, count]) => `${name}: ${count}`)
		.join(', ') || 'none';

function rewrapSection(answer: KeysAnswer): HTMLElement[] {
	const { rewrap } = answer;
	const percent = Math.floor(rewrap.ratio * 100);
	return [
		h('h2', { id: 'rewrap-title' }, 'Rewrap'),
		h(
			'p',
			{},
			h('progress', {
				max: Math.max(rewrap.total, 1),
				value: rewrap.total === 0 ? 1 : rewrap.done,
				'aria-labelledby': 'rewrap-title',
			}),
			` ${percent}%: ${rewrap.done} of ${rewrap.total} ciphertexts under version ${rewrap.target_version ?? 'none'}.`,
		),
		h(
			'p',
			{},
			rewrap.remaining === 0
				? 'Every ciphertext is under the active version.'
				: `${rewrap.remaining} ciphertexts are still under an older version. ` +
						'`otobot-vault keys rewrap` moves them, batch by batch; this page follows it as it goes.',
		),
	];
}

/** Data key versions, the ciphertexts each protects, and how far a rewrap has come. No key material. */
export async function keysPage(): Promise<HTMLElement> {
	const content = h('div', {});
	const load = async () => {
		const answer = await api<KeysAnswer>('GET', '/v1/keys');
		replace(
			content,
			h('h2', {}, 'Versions'),
			table(
				'Key versions',
				['Version', 'Status', 'Current', 'Created', 'Ciphertexts', 'Where'],
				answer.keys.map((key) => [
					String(key.version),
					statusBadge(key.status, KEY_LABELS),
					key.current ? 'current' : '',
					when(key.created_at, 'unknown'),
					String(key.ciphertexts),
					places(key.by_location),
				]),
			),
			h('section', { 'aria-labelledby': 'rewrap-title' }, rewrapSection(answer)),
			h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
		);
	};
	await load();
	return h(
		'div',
		{},
		h('h1', { tabindex: -1 }, 'Keys'),
		h(
			'p',
			{ class: 'hint' },
			'Data keys seal every secret; the master key wraps them. Rotate with `otobot-vault keys rotate`.',
		),
		content,
	);
}
