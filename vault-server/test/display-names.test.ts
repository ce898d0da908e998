import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { asAdmin, startTestVault, TEST_MASTER_KEY, type TestVault } from './helpers/vault-app.js';

/** Names that read differently from what they hold, or read as nothing: each must be refused. */
const HOSTILE: [what: string, name: string][] = [
	['U+0085 NEXT LINE', 'Acme\u0085Inc'],
	['U+2028 LINE SEPARATOR', 'Acme\u2028Inc'],
	['U+2029 PARAGRAPH SEPARATOR', 'Acme\u2029Inc'],
	['U+202E RIGHT-TO-LEFT OVERRIDE', 'Acme \u202egnp.exe'],
	['U+202A LEFT-TO-RIGHT EMBEDDING', '\u202aAcme'],
	['U+2066 LEFT-TO-RIGHT ISOLATE', 'Acme\u2066x\u2069'],
	['U+2069 POP DIRECTIONAL ISOLATE', 'Acme\u2069'],
	['U+200F RIGHT-TO-LEFT MARK', 'Acme\u200f'],
	['U+200B ZERO WIDTH SPACE', 'Ac\u200bme'],
	['U+FEFF BYTE ORDER MARK', '\ufeffAcme'],
	['U+0009 TAB', 'Acme\tInc'],
	['U+000A LINE FEED', 'Acme\nInc'],
	['U+001B ESCAPE', 'Acme\u001b[31m'],
	['U+007F DELETE', 'Acme\u007f'],
	['only spaces', '   '],
	['only a no-break space', '\u00a0'],
	['a leading space', ' Acme'],
	['a trailing space', 'Acme '],
	// default-ignorable code points (Unicode §5.21) that are not format characters: no glyph
	['only a ZERO WIDTH JOINER', '\u200d'],
	['only ZWNJ and spaces', ' \u200c '],
	['only a HANGUL FILLER', '\u3164'],
	['only a HALFWIDTH HANGUL FILLER', '\uffa0'],
	['only a COMBINING GRAPHEME JOINER', '\u034f'],
	['only a VARIATION SELECTOR-16', '\ufe0f'],
];

/** Names people really have: accents, other scripts, ZWNJ/ZWJ, emoji, an inner no-break space. */
const FINE = [
	'Société Générale',
	'株式会社アクメ',
	'می\u200cخواهم',
	'Team 👩\u200d💻',
	'Acme\u00a0Inc.',
	'O’Brien & Sons (EU)',
	'I \u2764\ufe0f n8n',
	// 100 code points (the agency name's limit), 200 UTF-16 units: maxLength counts code points
	'👩'.repeat(100),
];

type Field = [field: string, request: (name: string, n: number) => InjectOptions];

const FIELDS: Field[] = [
	[
		'body/name',
		(name, n) => ({ method: 'POST', url: '/v1/clients', payload: { id: `c${n}`, name } }),
	],
	['body/name', (name) => ({ method: 'PATCH', url: '/v1/clients/acme', payload: { name } })],
	[
		'body/name',
		(name) => ({ method: 'POST', url: '/v1/tokens', payload: { name, scope: 'read' } }),
	],
	[
		'body/display_name',
		(name, n) => ({
			method: 'POST',
			url: '/v1/services',
			payload: { name: `svc-${n}`, display_name: name, oauth_type: 'api_key' },
		}),
	],
	[
		'body/display_name',
		(name) => ({ method: 'PATCH', url: '/v1/services/keys', payload: { display_name: name } }),
	],
	[
		'body/agency_name',
		(name) => ({
			method: 'PUT',
			url: '/v1/branding',
			payload: { agency_name: name, accent_color: null },
		}),
	],
];

describe('names people read (client, token, service display name, agency name)', () => {
	let vault: TestVault;
	let n = 0;
	const send = (request: InjectOptions) => vault.app.inject({ ...request, headers: asAdmin });

	beforeAll(async () => {
		vault = await startTestVault('pglite');
		for (const request of [
			{ method: 'POST', url: '/v1/clients', payload: { id: 'acme', name: 'Acme' } },
			{
				method: 'POST',
				url: '/v1/services',
				payload: { name: 'keys', display_name: 'Keys', oauth_type: 'api_key' },
			},
		] as const)
			expect((await send(request)).statusCode).toBe(201);
	});
	afterAll(async () => vault?.close());

	it.each(HOSTILE)('refuses %s in every name field: 400 naming the field', async (_what, name) => {
		for (const [field, request] of FIELDS) {
			const to = request(name, ++n);
			const answer = await send(to);
			expect(answer.statusCode, `${to.method} ${to.url}`).toBe(400);
			const body = answer.json();
			expect(body.code).toBe('VALIDATION_FAILED');
			expect(body.message, `${to.method} ${to.url}`).toMatch(
				new RegExp(`^${field} must not (be blank|contain|begin or end)`),
			);
		}
		const stored = await vault.database.db.query(
			`SELECT name FROM clients WHERE name = $1 UNION ALL SELECT name FROM api_tokens WHERE name = $1
			 UNION ALL SELECT display_name FROM services WHERE display_name = $1
			 UNION ALL SELECT agency_name FROM branding WHERE agency_name = $1`,
			[name],
		);
		expect(stored).toEqual([]);
	});

	it('takes names in any script, with ZWNJ/ZWJ, emoji and inner no-break spaces, as given', async () => {
		for (const name of FINE) {
			for (const [, request] of FIELDS) {
				const to = request(name, ++n);
				const answer = await send(to);
				expect(answer.statusCode, `${to.method} ${to.url} ${name}: ${answer.body}`).toBeLessThan(
					300,
				);
			}
			const client = await send({ method: 'GET', url: '/v1/clients/acme' });
			expect(client.json().name).toBe(name);
		}
	});
});

describe('otobot-vault token create --name', () => {
	const dataDir = mkdtempSync(join(tmpdir(), 'otobot-names-'));
	afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

	it('refuses a name the API would refuse, in one line, before opening the database', async () => {
		const env = { VAULT_DATA_DIR: dataDir, ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY };
		for (const name of ['n8n\u202eprod', ' ', 'ops\u2028x', '\u3164', '👩'.repeat(201)]) {
			const run = await runCli(['token', 'create', '--name', name, '--scope', 'read'], env);
			expect(run.code).not.toBe(0);
			expect(run.stdout).toBe('');
			expect(run.stderr).toMatch(/A token name must (not|be at most 200 characters)/);
		}
	});

	it('takes a name the API takes: 200 emoji are 200 characters, as the schema counts them', async () => {
		const env = { VAULT_DATA_DIR: dataDir, ENCRYPTION_MASTER_KEY: TEST_MASTER_KEY };
		const run = await runCli(
			['token', 'create', '--name', '👩'.repeat(200), '--scope', 'read'],
			env,
		);
		expect(run.stderr).not.toMatch(/A token name/);
		expect(run.code, run.stderr).toBe(0);
	});
});
