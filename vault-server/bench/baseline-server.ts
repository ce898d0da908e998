import Fastify from 'fastify';
import { openPostgresDatabase } from '../src/storage/postgres-database.js';
import { Keyring } from '../src/crypto/keyring.js';
import { encryptionKeysStore } from '../src/storage/encryption-keys-store.js';
import { connectionContext } from '../src/domain/connection-secrets.js';

/**
 * The benchmark's baseline: the same primary-key SELECT, pool size and AES-256-GCM decrypt as a
 * vault fetch, with no authentication, no rate limit, no audit and no logging.
 * Env: DATABASE_URL, ENCRYPTION_MASTER_KEY, PORT, DATABASE_POOL_SIZE.
 */
const db = openPostgresDatabase({
	url: process.env.DATABASE_URL!,
	poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10),
});
const keyring = await Keyring.open(
	encryptionKeysStore(db),
	Buffer.from(process.env.ENCRYPTION_MASTER_KEY!, 'hex'),
);
const app = Fastify({ logger: false });

app.get<{ Params: { client_id: string; service: string } }>(
	'/v1/credentials/:client_id/:service',
	async (request, reply) => {
		const { client_id: clientId, service } = request.params;
		const rows = await db.query<{ credential_ciphertext: Uint8Array; expires_at: Date | null }>(
			'SELECT credential_ciphertext, expires_at FROM connections WHERE client_id = $1 AND service = $2',
			[clientId, service],
		);
		const row = rows[0];
		if (!row) return reply.code(404).send({ code: 'CONNECTION_NOT_FOUND' });
		const secret = JSON.parse(
			await keyring.decryptText(
				row.credential_ciphertext,
				connectionContext(clientId, service, 'credential'),
			),
		);
		return { client_id: clientId, service, ...secret, expires_at: row.expires_at };
	},
);

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`Server listening at ${address}\n`);
process.on(
	'SIGTERM',
	() =>
		void app
			.close()
			.then(() => db.close())
			.then(() => process.exit(0)),
);
