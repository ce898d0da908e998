import { randomBytes } from 'node:crypto';
import type { Database } from '../src/storage/database.js';
import type { Keyring } from '../src/crypto/keyring.js';
import { sealConnectionSecrets } from '../src/domain/connection-secrets.js';

export interface SeedShape {
	clients: number;
	services: { name: string; type: 'oauth2' | 'api_key' }[];
}

export const BENCH_SERVICES: SeedShape['services'] = [
	{ name: 'bench-google', type: 'oauth2' },
	{ name: 'bench-slack', type: 'oauth2' },
	{ name: 'bench-openai', type: 'api_key' },
];

export const clientId = (index: number) => `bench-client-${index}`;

/**
 * Fills a migrated vault database with `clients` clients, each connected to every service, in
 * multi-row inserts (the API would take minutes for a million rows). Tokens are ~1 KB, long-lived.
 */
export async function seedConnections(
	db: Database,
	keyring: Keyring,
	shape: SeedShape,
	tokenExpiresInSeconds = 86_400 * 30,
) {
	for (const service of shape.services) {
		await db.query(
			`INSERT INTO services (name, display_name, oauth_type) VALUES ($1, $1, $2) ON CONFLICT (name) DO NOTHING`,
			[service.name, service.type],
		);
	}
	const batch = 1000;
	for (let start = 0; start < shape.clients; start += batch) {
		const ids = Array.from({ length: Math.min(batch, shape.clients - start) }, (_u, i) =>
			clientId(start + i),
		);
		await db.query(
			`INSERT INTO clients (id, name) SELECT id, id FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING`,
			[ids],
		);
		const rows = ids.flatMap((id) =>
			shape.services.map((service) => {
				const secret =
					service.type === 'api_key'
						? { api_key: randomBytes(24).toString('base64url') }
						: { access_token: randomBytes(768).toString('base64url') };
				const sealed = sealConnectionSecrets(
					keyring,
					id,
					service.name,
					secret,
					service.type === 'oauth2' ? randomBytes(32).toString('base64url') : null,
				);
				return {
					client_id: id,
					service: service.name,
					credential: sealed.credentialCiphertext.toString('hex'),
					refresh: sealed.refreshTokenCiphertext?.toString('hex') ?? null,
					key_version: sealed.keyVersion,
					expires_in: service.type === 'oauth2' ? tokenExpiresInSeconds : null,
				};
			}),
		);
		await db.query(
			`INSERT INTO connections (client_id, service, credential_ciphertext, refresh_token_ciphertext, key_version,
				token_type, expires_at, next_refresh_at)
			 SELECT r.client_id, r.service, decode(r.credential, 'hex'), decode(r.refresh, 'hex'), r.key_version,
				CASE WHEN r.expires_in IS NULL THEN NULL ELSE 'Bearer' END,
				now() + make_interval(secs => r.expires_in),
				now() + make_interval(secs => r.expires_in) - interval '10 minutes'
			 FROM jsonb_to_recordset($1::jsonb) AS r(client_id text, service text, credential text, refresh text,
				key_version integer, expires_in integer)
			 ON CONFLICT DO NOTHING`,
			[rows],
		);
	}
}
