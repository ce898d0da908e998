import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { runDiagnostics } from '../../domain/diagnostics/run-diagnostics.js';
import type { CheckResult } from '../../domain/diagnostics/system-checks.js';
import { insertDemoData, removeDemoData } from '../../domain/demo-data.js';
import { errorResponses } from '../schemas.js';

const Check = Type.Object({
	name: Type.String(),
	status: Type.Union([
		Type.Literal('OK'),
		Type.Literal('FAILED'),
		Type.Literal('SKIPPED'),
		Type.Literal('NOT CHECKED'),
	]),
	detail: Type.String(),
});
const NoOptions = Type.Object({}, { additionalProperties: false });
const Items = Type.Array(Type.String());

/**
 * What `otobot-vault test-connections` does, run inside this vault process: the CLI asks here
 * when the embedded database is held by this server (PGlite serves one process).
 */
const diagnostics: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.post(
		'/diagnostics/connection-tests',
		{
			config: { scope: 'admin', action: 'diagnostics.connection_tests' },
			schema: {
				tags: ['monitoring'],
				description:
					'Checks the database, migrations, master key, API health and every connection (a real ' +
					'refresh for OAuth2 without test_url). Answers statuses and reasons, never a credential.',
				body: NoOptions,
				response: {
					200: Type.Object({
						checks: Type.Array(Check),
						connections: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
						failed: Type.Integer({ minimum: 0 }),
					}),
					...errorResponses(),
				},
			},
		},
		async (request) => {
			const checks: CheckResult[] = [];
			const { connections } = await runDiagnostics(
				{
					db: fastify.db,
					config: fastify.config,
					refresherFor: () => fastify.refresher,
					actor: request.actor,
				},
				(result) => checks.push(result),
			);
			const failed = checks.filter((check) => check.status === 'FAILED').length;
			return { checks, connections, failed };
		},
	);

	fastify.put(
		'/diagnostics/test-data',
		{
			config: { scope: 'admin', action: 'diagnostics.test_data.insert' },
			schema: {
				tags: ['monitoring'],
				description: 'Adds the demo-test-client test data that is missing (idempotent).',
				body: NoOptions,
				response: { 200: Type.Object({ created: Items, existing: Items }), ...errorResponses() },
			},
		},
		async () => insertDemoData(fastify.db, fastify.keyring, fastify.config.apiUrl),
	);

	fastify.delete(
		'/diagnostics/test-data',
		{
			config: { scope: 'admin', action: 'diagnostics.test_data.remove' },
			schema: {
				tags: ['monitoring'],
				description: 'Removes the demo-test-client test data.',
				response: { 200: Type.Object({ removed: Items }), ...errorResponses() },
			},
		},
		async () => ({ removed: await removeDemoData(fastify.db) }),
	);
};

export default diagnostics;
