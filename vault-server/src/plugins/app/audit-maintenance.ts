import fp from 'fastify-plugin';
import { startAuditMaintenance } from '../../domain/audit-maintenance.js';

/**
 * The audit log's upkeep inside `serve`, in every process: month partitions created ahead, and
 * with AUDIT_RETENTION_DAYS the old months archived then removed (domain/audit-maintenance.ts).
 */
export default fp(
	async (fastify) => {
		let task: { stop(): Promise<void> } | undefined;
		fastify.addHook('onReady', async () => {
			task = startAuditMaintenance(fastify.db, fastify.config.audit, fastify.log);
		});
		fastify.addHook('onClose', async () => {
			await task?.stop();
		});
	},
	{ name: 'audit-maintenance', dependencies: ['database'] },
);
