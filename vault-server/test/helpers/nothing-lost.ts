import { expect } from 'vitest';
import { Keyring } from '../../src/crypto/keyring.js';
import { encryptionKeysStore } from '../../src/storage/encryption-keys-store.js';
import { openCredentialSecret } from '../../src/domain/connection-secrets.js';
import type { Database } from '../../src/storage/database.js';
import { runCli } from './cli.js';
import { clientOf, internal, seqOfApiKey, type RequestLoad } from './request-load.js';
import { TEST_MASTER_KEY } from './vault-app.js';

/**
 * After a fault: every acknowledged write is in the database, every connection decrypts (a fetch
 * answers it), every acknowledged request has its audit row, and the audit chain verifies.
 */
export async function expectNothingLost(
	baseUrl: string,
	db: Database,
	load: RequestLoad,
	env: Record<string, string>,
	workers: number,
) {
	for (let worker = 0; worker < workers; worker += 1) {
		const stores = load.outcomes.filter((o) => o.kind === 'store' && o.worker === worker);
		const lastAcknowledged = Math.max(
			0,
			...stores.filter((o) => o.status >= 200 && o.status < 300).map((o) => o.seq),
		);
		const response = await fetch(`${baseUrl}/v1/credentials/${clientOf(worker)}/openai`, {
			headers: internal,
		});
		expect(response.status).toBe(200);
		const stored = seqOfApiKey(((await response.json()) as { api_key: string }).api_key);
		// what is stored is the last acknowledged write, or a later one whose answer was lost
		expect(stored).toBeGreaterThanOrEqual(lastAcknowledged);
		expect(stored).toBeLessThanOrEqual(Math.max(0, ...stores.map((o) => o.seq)));
	}

	// no half-written row: every stored ciphertext opens, bound to its own client and service
	const keyring = await Keyring.open(encryptionKeysStore(db), Buffer.from(TEST_MASTER_KEY, 'hex'));
	const rows = await db.query<{
		client_id: string;
		service: string;
		credential_ciphertext: Uint8Array;
	}>('SELECT client_id, service, credential_ciphertext FROM connections');
	expect(rows.length).toBeGreaterThanOrEqual(workers);
	for (const row of rows) {
		const secret = await openCredentialSecret(
			keyring,
			row.client_id,
			row.service,
			row.credential_ciphertext,
		);
		expect(secret.api_key ?? secret.access_token).toBeTruthy();
	}

	const created = load.acknowledged('create').map((o) => `new-${o.worker}-${o.seq}`);
	const clients = await db.query<{ id: string }>(
		'SELECT id FROM clients WHERE id = ANY($1::text[])',
		[created],
	);
	expect(clients.map((row) => row.id).sort()).toEqual([...created].sort());

	const acknowledged = load.acknowledged();
	const audited = await db.query<{ execution_id: string; status_code: number }>(
		'SELECT execution_id, status_code FROM audit_log WHERE execution_id = ANY($1::text[])',
		[acknowledged.map((o) => o.marker)],
	);
	const auditedStatus = new Map(audited.map((row) => [row.execution_id, row.status_code]));
	const unaudited = acknowledged.filter((o) => auditedStatus.get(o.marker) !== o.status);
	expect(unaudited).toEqual([]);

	const verify = await runCli(['audit', 'verify'], env);
	expect(verify.stderr).toBe('');
	expect(verify.code).toBe(0);
}
