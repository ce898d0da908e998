import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditWriter, type AuditRecord } from '../../domain/audit-writer.js';
import type { RequestTransaction } from '../../storage/request-transaction.js';
import { AuthRefusals, type RefusalReason } from '../../domain/auth-refusals.js';
import type { AuditEntry } from '../../storage/audit-store.js';
import { clipText as clip } from '../../domain/audit-values.js';

declare module 'fastify' {
	interface FastifyInstance {
		audit: AuditWriter;
		/** The audit row of a request as it stands: a route writing rows of its own starts from it. */
		auditEntryOf(request: FastifyRequest, reply: FastifyReply): AuditEntry;
		/** Refusals before authentication, one audit row per address per minute. */
		authRefusals: AuthRefusals;
	}
	interface FastifyRequest {
		/** What the handler adds to its audit row (never a secret). */
		auditNote?: {
			clientId?: string;
			service?: string;
			details?: Record<string, unknown>;
			/** Set by a successful credential fetch: moves the connection's last_used_at. */
			usedConnection?: { clientId: string; service: string };
		};
		/** The error code of a failed request, set by the error handler. */
		errorCode?: string;
	}
}

const AUDIT_UNAVAILABLE = JSON.stringify({
	statusCode: 503,
	code: 'AUDIT_UNAVAILABLE',
	message: 'The audit log could not be written, so the response was withheld',
});

const isAudited = (url: string) =>
	url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
// connect links and OAuth callbacks are audited too, refusals included
const isAuditedPage = (url: string) => url.startsWith('/connect/') || url.startsWith('/oauth/');

/** Why an anonymous request was refused, when it was refused before authentication. */
function refusalOf(request: FastifyRequest): RefusalReason | undefined {
	if (request.actor) return undefined;
	if (request.authRefusal) return request.authRefusal;
	return request.errorCode === 'RATE_LIMITED' ? 'rate_limited' : undefined;
}

function entryOf(request: FastifyRequest, reply: FastifyReply): AuditEntry {
	const params = (request.params ?? {}) as { client_id?: string; service?: string };
	const note = request.auditNote ?? {};
	return {
		occurred_at: new Date().toISOString(),
		request_id: request.id,
		actor_id: request.actor?.id ?? null,
		actor_name: request.actor?.name ?? null,
		action: request.routeOptions.config.action ?? (request.is404 ? 'route.not_found' : 'unknown'),
		client_id: clip(note.clientId ?? params.client_id, 64),
		service: clip(note.service ?? params.service, 64),
		status_code: reply.statusCode,
		error_code: request.errorCode ?? null,
		ip: request.ip,
		user_agent: clip(request.headers['user-agent'], 256),
		duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
		workflow_id: clip(request.headers['x-n8n-workflow-id'], 128),
		execution_id: clip(request.headers['x-n8n-execution-id'], 128),
		// a console request is the admin token's act like any other, marked as made in the console
		details: request.consoleSession ? { ...note.details, via: 'console' } : (note.details ?? null),
	};
}

/** A write and its audit row, committed together; on any failure both are rolled back. */
async function commitWithRow(
	write: RequestTransaction,
	writer: AuditWriter,
	record: AuditRecord,
): Promise<void> {
	try {
		await writer.recordInTransaction(await write.queryable(), record);
		await write.end(true);
	} catch (error) {
		await write.end(false);
		throw error;
	}
}

/**
 * One audit row per /v1 request, committed before the response leaves (onSend). When the row
 * cannot be written the response is replaced by a 503: no credential goes out unaudited. A
 * successful write (`config.writes`) commits its row in its own transaction, so a 503 there
 * leaves nothing changed.
 * Refusals before authentication are the exception: counted, and written as one row per address
 * per minute (auth-refusals.ts), since they disclose nothing and cost an attacker nothing.
 */
export default fp(
	async (fastify) => {
		// the group commits go one after another on a connection of their own: none waits for a
		// pooled connection, and the backend they wake is one already busy with the last one
		// (npm run bench: about 8 % more fetches per second than through the pool)
		const auditDb = fastify.db.withOwnConnection();
		const writer = new AuditWriter(auditDb, fastify.keyring, (seconds, ok) =>
			fastify.metrics.auditWrite.observe({ result: ok ? 'ok' : 'failed' }, seconds),
		);
		fastify.decorate('audit', writer);
		fastify.decorate('auditEntryOf', entryOf);
		const refusals = new AuthRefusals(writer, (error) =>
			fastify.log.error({ err: error }, 'audit of refusals before authentication failed'),
		);
		fastify.decorate('authRefusals', refusals);
		fastify.addHook('onClose', async () => {
			await refusals.close();
			await writer.drain();
			await auditDb.close();
		});

		fastify.addHook('onSend', async (request, reply, payload) => {
			if (!isAudited(request.url) && !isAuditedPage(request.url)) return payload;
			const refusal = refusalOf(request);
			if (refusal) {
				fastify.metrics.authRefusals.inc({ reason: refusal });
				refusals.count(request.ip, refusal);
				return payload;
			}
			const ok = reply.statusCode < 400;
			try {
				const record = {
					entry: entryOf(request, reply),
					usedConnection: ok ? request.auditNote?.usedConnection : undefined,
					usedTokenId: request.actor?.source === 'database' ? request.actor.id : undefined,
				};
				const write = request.writeTransaction;
				if (write?.started && ok) await commitWithRow(write, writer, record);
				else {
					// a refused write keeps nothing; its row goes with the group commit
					await write?.end(false);
					await writer.record(record);
				}
				return payload;
			} catch (error) {
				request.log.error({ err: error }, 'audit write failed; response withheld');
				request.auditWriteFailed = true;
				reply.code(503).header('content-type', 'application/json; charset=utf-8');
				return AUDIT_UNAVAILABLE;
			}
		});
	},
	{ name: 'audit', dependencies: ['database', 'metrics', 'write-transaction'] },
);
