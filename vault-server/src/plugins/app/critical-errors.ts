import fp from 'fastify-plugin';
import {
	CRITICAL_ERROR_CODES,
	CriticalErrorRecorder,
} from '../../domain/alerts/critical-errors.js';

declare module 'fastify' {
	interface FastifyInstance {
		criticalErrors: CriticalErrorRecorder;
	}
	interface FastifyRequest {
		/** Set by the audit plugin when the request's audit row could not be written. */
		auditWriteFailed?: boolean;
	}
}

/**
 * Counts the critical errors of API requests (decryption failures, database errors, audit write
 * failures, internal errors) for the "critical API errors" alert and the metrics.
 */
export default fp(
	async (fastify) => {
		const recorder = new CriticalErrorRecorder(fastify.db, fastify.log, (kind) =>
			fastify.metrics.criticalErrors.inc({ kind }),
		);
		fastify.decorate('criticalErrors', recorder);
		fastify.addHook('onResponse', async (request) => {
			const kind = request.errorCode ? CRITICAL_ERROR_CODES[request.errorCode] : undefined;
			if (kind && kind !== 'audit_write_failed') recorder.record(kind);
			if (request.auditWriteFailed) recorder.record('audit_write_failed');
		});
		fastify.addHook('onClose', () => recorder.flush());
	},
	{ name: 'critical-errors', dependencies: ['database', 'metrics'] },
);
