import type { Database, Queryable } from '../storage/database.js';
import type { CiphertextTable, RowKey } from '../storage/ciphertext-store.js';
import { tryConnectionLock } from '../storage/connection-lock.js';
import { connectionContext } from './connection-secrets.js';
import { serviceSecretContext } from './services.js';
import { verifierContext } from './connect-links.js';
import { webhookSecretContext } from './webhooks/webhook-subscriptions.js';

/**
 * One place in the schema that holds ciphertexts: its table and columns, and for each ciphertext
 * column the additional data it was sealed with (crypto/envelope.ts binds every ciphertext to its
 * row and field). Key status, rewrap and retire read this list and nothing else.
 */
export interface CiphertextLocation extends CiphertextTable {
	/** Stable name, shown by `keys status`. */
	name: string;
	/** The additional-data context of `ciphertextColumns[index]` for the row `key`. */
	context(key: RowKey, index: number): string;
	/**
	 * Takes the lock other writers of the row hold for longer than a statement (a refresh holds
	 * its connection's lock while it calls the provider); `false` skips the row for now.
	 */
	tryLock?(db: Database, tx: Queryable, key: RowKey): Promise<boolean>;
}

const CONNECTION_FIELDS = ['credential', 'refresh_token'] as const;

/** Every encrypted column of the vault. A new encrypted column is one more entry here. */
export const CIPHERTEXT_LOCATIONS: readonly CiphertextLocation[] = [
	{
		name: 'connections',
		table: 'connections',
		keyColumns: ['client_id', 'service'],
		ciphertextColumns: ['credential_ciphertext', 'refresh_token_ciphertext'],
		// both ciphertexts of a row share one key version and move together
		versionColumn: 'key_version',
		context: (key, index) =>
			connectionContext(key.client_id!, key.service!, CONNECTION_FIELDS[index]!),
		tryLock: (db, tx, key) => tryConnectionLock(db, tx, key.client_id!, key.service!),
	},
	{
		name: 'services.oauth_client_secret',
		table: 'services',
		keyColumns: ['name'],
		ciphertextColumns: ['oauth_client_secret_ciphertext'],
		context: (key) => serviceSecretContext(key.name!),
	},
	{
		name: 'oauth_states.code_verifier',
		table: 'oauth_states',
		keyColumns: ['state_id'],
		ciphertextColumns: ['code_verifier_ciphertext'],
		context: (key) => verifierContext(key.state_id!),
	},
	{
		name: 'webhooks.secret',
		table: 'webhooks',
		keyColumns: ['id'],
		ciphertextColumns: ['secret_ciphertext'],
		context: (key) => webhookSecretContext(key.id!),
	},
];
