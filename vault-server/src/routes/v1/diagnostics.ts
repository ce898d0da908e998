import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { runDiagnostics } from '../../domain/diagnostics/run-diagnostics.js';
import type { CheckResult } from '../../domain/diagnostics/system-checks.js';
import { insertDemoData, removeDemoData } from '../../domain/demo-data.js';
import { localUrlOf } from '../../running-vault.js';
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
	// where this process answers on this machine (`serve --port` may differ from PORT; PUBLIC_URL
	// may name a proxy): the checks of its health and of the demo data ask there
	const selfUrl = () => {
		const address = fastify.server.address();
		return address && typeof address === 'object' ? localUrlOf(address) : fastify.config.apiUrl;
	};
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
					selfUrl: selfUrl(),
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
					'Adds the demo-test-client test data that is missing (idempotent), and points a demo ' +
					"service's test_url made for another address at this vault, as " +
					'`otobot-vault test-connections --insert-test-data` does.',
				body: NoOptions,
				response: {
					200: documented(
						Type.Object({ created: Items, updated: Items, existing: Items }),
						'What was added, what was pointed at this address, and what was already there',
						{ created: ['client demo-test-client'], updated: [], existing: [] },
					),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async () => insertDemoData(fastify.db, fastify.keyring, selfUrl()),
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
