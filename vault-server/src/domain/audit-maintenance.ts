import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditRetention } from '../config/config.js';
import type { Queryable } from '../storage/database.js';
import { auditRetentionStore } from '../storage/audit-retention-store.js';
import { startPeriodicTask } from '../periodic-task.js';
import { archiveAuditLog, type AuditArchiveOutcome } from './audit-archive.js';

/** Month partitions kept ready: this month and this many after it. */
export const PARTITION_MONTHS_AHEAD = 2;
/** How often `serve` runs a maintenance pass; partitions are ready months ahead, so hourly is ample. */
export const AUDIT_MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface AuditMaintenanceOutcome {
	partitionsCreated: number;
	/** Set when AUDIT_RETENTION_DAYS is: what the archive did (rows 0: nothing was old enough). */
	archive?: AuditArchiveOutcome;
}

/**
 * Why AUDIT_ARCHIVE_DIR cannot take archives (not a folder, or not writable by this process), for
 * `serve` to refuse to start; undefined when it can or no retention is set. `source` says where
 * the variable was set ("the environment", a `.env` path), for the message.
 */
export function archiveDirProblem(
	retention: AuditRetention,
	source = 'the environment',
): string | undefined {
	const dir = retention.archiveDir;
	if (retention.retentionDays === undefined || dir === undefined) return undefined;
	const variable = `AUDIT_ARCHIVE_DIR ${dir} (set in ${source})`;
	try {
		if (!statSync(dir).isDirectory()) return `${variable} is not a folder`;
		accessSync(dir, constants.W_OK);
		return undefined;
	} catch (error) {
		return `${variable} cannot take the audit archives (${(error as NodeJS.ErrnoException).code}): create it, writable by the vault's user`;
	}
}

/**
 * One pass as of `now`: creates the month partitions of audit_log from now's month for
 * PARTITION_MONTHS_AHEAD more, and with a retention, archives the rows before the month of
 * `now` minus retentionDays into archiveDir (file `audit-<first id>-<last id>.jsonl`) and removes
 * them (archiveAuditLog). Throws what those throw; nothing is removed unless the file was written.
 */
export async function auditMaintenancePass(
	db: Queryable,
	retention: AuditRetention,
	now: Date,
): Promise<AuditMaintenanceOutcome> {
	const partitionsCreated = await auditRetentionStore(db).createPartitions(
		now,
		1 + PARTITION_MONTHS_AHEAD,
	);
	if (retention.retentionDays === undefined || retention.archiveDir === undefined) {
		return { partitionsCreated };
	}
	const archiveDir = retention.archiveDir;
	const archive = await archiveAuditLog(db, {
		before: new Date(now.getTime() - retention.retentionDays * DAY_MS),
		outputFor: (firstId, lastId) => join(archiveDir, `audit-${firstId}-${lastId}.jsonl`),
	});
	return { partitionsCreated, archive };
}

/**
 * Runs auditMaintenancePass now and every AUDIT_MAINTENANCE_INTERVAL_MS until stopped (`serve`
 * starts it); a failed pass is logged and tried again at the next one.
 */
export function startAuditMaintenance(
	db: Queryable,
	retention: AuditRetention,
	log: FastifyBaseLogger,
) {
	return startPeriodicTask(async () => {
		try {
			const outcome = await auditMaintenancePass(db, retention, new Date());
			if (outcome.partitionsCreated > 0) {
				log.info({ created: outcome.partitionsCreated }, 'audit log partitions created');
			}
			const archive = outcome.archive;
			if (archive?.file) {
				log.info(
					{ file: archive.file, rows: archive.rows, checkpoint: archive.checkpoint?.id },
					'audit rows archived and removed (retention)',
				);
			}
		} catch (error) {
			log.error({ err: error }, 'audit log maintenance failed');
		}
		return AUDIT_MAINTENANCE_INTERVAL_MS;
	});
}
