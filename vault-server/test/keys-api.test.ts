import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../src/crypto/keyring.js';
import { CIPHERTEXT_LOCATIONS } from '../src/domain/ciphertext-locations.js';
import { rotateDataKey } from '../src/domain/key-rotation.js';
import { rewrapAll, rewrapBatch } from '../src/domain/rewrap.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { backends } from './helpers/databases.js';
import {
	ADMIN_TOKEN,
	INTERNAL_TOKEN,
	TEST_MASTER_KEY,
	asAdmin,
	asInternal,
	startTestVault,
	type TestVault,
} from './helpers/vault-app.js';

const SECRETS = [
	'keys-api-app-secret-41c7',
	'keys-api-access-9d02',
	'keys-api-refresh-77ae',
	'sk-keys-api-3b1f',
];

interface KeysAnswer {
	active_version: number | null;
	keys: {
		version: number;
		status: string;
		current: boolean;
		created_at: string | null;
		ciphertexts: number;
		by_location: Record<string, number>;
	}[];
	rewrap: { target_version: number; done: number; total: number; remaining: number; ratio: number };
}

// the console's Keys page: versions, ciphertexts per version, a rewrap's progress; no key material
describe.each(backends())('GET /v1/keys on %s', (backend) => {
	let vault: TestVault;
	const keys = async () => {
		const answer = await vault.app.inject({ url: '/v1/keys', headers: asAdmin });
		expect(answer.statusCode, answer.body).toBe(200);
		return { body: answer.body, json: answer.json() as KeysAnswer };
	};
	/** Every form in which key material could leak into a JSON answer. */
	const keyMaterial = async () => {
		const rows = await vault.database.db.query<{ wrapped_key: Uint8Array }>(
			'SELECT wrapped_key FROM encryption_keys',
		);
		const forms = [TEST_MASTER_KEY, Buffer.from(TEST_MASTER_KEY, 'hex').toString('base64')];
		for (const { wrapped_key } of rows) {
			const bytes = Buffer.from(wrapped_key);
			forms.push(bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'));
			// a few bytes of it, as a partial dump would show them
			forms.push(bytes.subarray(0, 12).toString('hex'), bytes.subarray(0, 12).toString('base64'));
		}
		return forms;
	};
	const expectNoKeyMaterial = async (body: string) => {
		for (const form of [...(await keyMaterial()), ...SECRETS, ADMIN_TOKEN, INTERNAL_TOKEN])
			expect(body).not.toContain(form);
		expect(body).not.toMatch(/wrapped|"key"\s*:/);
	};

	beforeAll(async () => {
		vault = await startTestVault(backend, { REFRESHER_ENABLED: 'false' });
		const admin = (method: 'POST' | 'PUT', url: string, payload: object) =>
			vault.app.inject({ method, url, headers: asAdmin, payload });
		await admin('POST', '/v1/clients', { id: 'acme', name: 'Acme' });
		await admin('POST', '/v1/clients', { id: 'globex', name: 'Globex' });
		await admin('POST', '/v1/services', {
			name: 'crm',
			display_name: 'CRM',
			oauth_type: 'oauth2',
			oauth_token_url: 'https://crm.example.com/token',
			oauth_client_id: 'vault-app',
			oauth_client_secret: SECRETS[0],
		});
		await admin('POST', '/v1/services', { name: 'ai', display_name: 'AI', oauth_type: 'api_key' });
		await admin('PUT', '/v1/clients/acme/connections/crm', {
			access_token: SECRETS[1],
			refresh_token: SECRETS[2],
			expires_in: 3600,
		});
		await admin('PUT', '/v1/clients/globex/connections/ai', { api_key: SECRETS[3] });
	});
	afterAll(async () => vault?.close());

	it('answers version 1, current, with its ciphertexts counted over every encrypted column', async () => {
		const { json, body } = await keys();
		expect(json.active_version).toBe(1);
		expect(json.keys).toHaveLength(1);
		expect(json.keys[0]).toMatchObject({ version: 1, status: 'active', current: true });
		expect(Date.parse(json.keys[0]!.created_at!)).not.toBeNaN();
		// acme/crm: access and refresh token; globex/ai: the key; crm: the app's client secret
		expect(json.keys[0]!.ciphertexts).toBe(4);
		expect(Object.keys(json.keys[0]!.by_location).sort()).toEqual(
			CIPHERTEXT_LOCATIONS.map((place) => place.name).sort(),
		);
		expect(json.keys[0]!.by_location).toMatchObject({
			connections: 3,
			'services.oauth_client_secret': 1,
		});
		expect(json.rewrap).toEqual({ target_version: 1, done: 4, total: 4, remaining: 0, ratio: 1 });
		await expectNoKeyMaterial(body);
	});

	it('follows a rewrap to a new version as it goes, batch by batch, and shows no key', async () => {
		await rotateDataKey(vault.database.db, vault.vault.masterKey.key);
		const rotated = await keys();
		expect(rotated.json.active_version).toBe(2);
		expect(rotated.json.keys.map((key) => [key.version, key.status, key.current])).toEqual([
			[1, 'decrypt_only', false],
			[2, 'active', true],
		]);
		expect(rotated.json.rewrap).toEqual({
			target_version: 2,
			done: 0,
			total: 4,
			remaining: 4,
			ratio: 0,
		});

		// the operator's CLI: another keyring on the same database, as another process would be
		const cli = await Keyring.open(
			encryptionKeysStore(vault.database.db),
			vault.vault.masterKey.key,
		);
		const connections = CIPHERTEXT_LOCATIONS.find((place) => place.name === 'connections')!;
		await rewrapBatch(vault.database.db, cli, connections, undefined, 1);
		const halfway = (await keys()).json;
		expect(halfway.rewrap.done + halfway.rewrap.remaining).toBe(4);
		expect(halfway.rewrap.done).toBeGreaterThan(0);
		expect(halfway.rewrap.ratio).toBeGreaterThan(0);
		expect(halfway.rewrap.ratio).toBeLessThan(1);

		await rewrapAll(vault.database.db, cli, { batchSize: 10 });
		const done = await keys();
		expect(done.json.rewrap).toEqual({
			target_version: 2,
			done: 4,
			total: 4,
			remaining: 0,
			ratio: 1,
		});
		expect(done.json.keys.map((key) => key.ciphertexts)).toEqual([0, 4]);
		await expectNoKeyMaterial(done.body);
	});

	it('is for admins only: a read token gets 403', async () => {
		const answer = await vault.app.inject({ url: '/v1/keys', headers: asInternal });
		expect(answer.statusCode).toBe(403);
	});
});
