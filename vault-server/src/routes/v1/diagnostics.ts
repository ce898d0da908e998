import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { runDiagnostics } from '../../domain/diagnostics/run-diagnostics.js';
import type { CheckResult } from '../../domain/diagnostics/system-checks.js';
import { insertDemoData, removeDemoData } from '../../domain/demo-data.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { documented } from '../schemas.js';

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
const NoOptions = documented(
	Type.Object({}, { additionalProperties: false }),
	'No options: an empty object',
	{},
);
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
				operationId: 'runConnectionTests',
				summary: 'Test every connection',
				description:
					'What `otobot-vault test-connections` does, run in this vault process. ' +
					'Checks the database, migrations, master key, API health and every connection: a GET of ' +
					"its service's test_url with its credential, audited as `credential.test`; a connection " +
					'whose service has no test_url is NOT CHECKED. Answers statuses and reasons, never a ' +
					'credential.',
				body: NoOptions,
				response: {
					200: documented(
						Type.Object({
							checks: Type.Array(Check),
							connections: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
							failed: Type.Integer({ minimum: 0 }),
						}),
						'Each check with its status and reason; `failed` counts the FAILED ones',
						{
							checks: [
								{ name: 'database', status: 'OK', detail: 'PostgreSQL 15.14 answers' },
								{ name: 'acme-corp/google', status: 'OK', detail: 'test_url answered 2xx' },
							],
							connections: 1,
							failed: 0,
						},
					),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async (request) => {
			const checks: CheckResult[] = [];
			const { connections } = await runDiagnostics(
				{
					db: fastify.db,
					config: fastify.config,
					auditFor: () => fastify.audit,
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
				operationId: 'insertTestData',
				summary: 'Insert the demo test data',
				description:
					'Adds the demo-test-client test data that is missing (idempotent), as ' +
					'`otobot-vault test-connections --insert-test-data` does.',
				body: NoOptions,
				response: {
					200: documented(
						Type.Object({ created: Items, existing: Items }),
						'What was added and what was already there',
						{ created: ['client demo-test-client'], existing: [] },
					),
					...errorResponses(BODY_ERRORS),
				},
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
				operationId: 'removeTestData',
				summary: 'Remove the demo test data',
				description: 'Removes the demo-test-client test data and its connections.',
				response: {
					200: documented(Type.Object({ removed: Items }), 'What was removed', {
						removed: ['client demo-test-client'],
					}),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async () => ({ removed: await removeDemoData(fastify.db) }),
	);
};

export default diagnostics;
