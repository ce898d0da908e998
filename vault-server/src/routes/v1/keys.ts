import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { keysStatus } from '../../domain/key-status.js';
import { rewrapState } from '../../domain/rewrap-progress.js';
import { errorResponses } from '../error-responses.js';
import { KEYS } from '../examples.js';
import { NullableTimestamp, documented } from '../schemas.js';

const Count = Type.Integer({ minimum: 0 });

// declared field by field: the serializer writes these and nothing else (no wrapped key, ever)
const KeyVersion = Type.Object({
	version: Type.Integer({ minimum: 1 }),
	status: Type.Union(
		[
			Type.Literal('active'),
			Type.Literal('decrypt_only'),
			Type.Literal('retired'),
			Type.Literal('missing'),
		],
		{
			description:
				'`active` seals new secrets; `decrypt_only` still opens old ones; `retired` is gone ' +
				'from the keyring; `missing`: ciphertexts name a version encryption_keys does not hold',
		},
	),
	current: Type.Boolean({ description: 'Whether this is the active version' }),
	created_at: NullableTimestamp,
	retired_at: NullableTimestamp,
	ciphertexts: Type.Integer({ minimum: 0, description: 'Ciphertexts this version protects' }),
	by_location: Type.Record(Type.String(), Count, {
		description: 'The same count per encrypted column (table.column), zeros included',
	}),
});

const Rewrap = Type.Object(
	{
		target_version: Type.Union([Type.Integer(), Type.Null()]),
		done: Type.Integer({ minimum: 0, description: 'Ciphertexts under the active version' }),
		total: Type.Integer({ minimum: 0, description: 'Every ciphertext the vault keeps' }),
		remaining: Type.Integer({
			minimum: 0,
			description: 'Ciphertexts under an older version: what `otobot-vault keys rewrap` moves',
		}),
		ratio: Type.Number({ minimum: 0, maximum: 1, description: 'done / total (1 when none)' }),
	},
	{
		description:
			"A rewrap's progress, read from the ciphertexts themselves: it moves on as each batch of a " +
			'running `keys rewrap` commits, whichever process runs it',
	},
);

/** GET /v1/keys: the data key versions and what each protects; never any key material. */
const keys: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		'/keys',
		{
			config: { scope: 'admin', action: 'key.list' },
			schema: {
				tags: ['keys'],
				operationId: 'listKeys',
				summary: 'List data key versions',
				description:
					'Every data key version (which is active, when it was created), how many ciphertexts ' +
					'each protects across every encrypted column, and how far a rewrap to the active ' +
					'version has come. The same figures as `otobot-vault keys status`. No key material: ' +
					'neither a data key nor its wrapped form nor the master key.',
				response: {
					200: documented(
						Type.Object({
							active_version: Type.Union([Type.Integer(), Type.Null()]),
							keys: Type.Array(KeyVersion),
							rewrap: Rewrap,
						}),
						'The key versions',
						KEYS,
					),
					...errorResponses([]),
				},
			},
		},
		async () => {
			const status = await keysStatus(fastify.db);
			return {
				active_version: status.active_version,
				keys: status.keys.map((key) => ({
					version: key.version,
					status: key.status,
					current: key.version === status.active_version,
					created_at: key.created_at,
					retired_at: key.retired_at,
					ciphertexts: key.ciphertexts,
					by_location: key.by_location,
				})),
				rewrap: rewrapState(status),
			};
		},
	);
};

export default keys;
