import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../../config/config.js';
import type { Database } from '../../storage/database.js';
import { alertsStore } from '../../storage/alerts-store.js';
import { auditStore } from '../../storage/audit-store.js';
import { metricsStore } from '../../storage/metrics-store.js';
import { EXPIRING_WITHIN_HOURS } from '../monitoring.js';

const CONNECTION_STATES = ['valid', 'expiring', 'expired', 'no_expiry', 'needs_reauth', 'disabled'];
const TOKEN_STATES = ['valid', 'expiring', 'expired', 'no_expiry', 'revoked'];
const RULES = [
	'connection_expired',
	'refresh_failing',
	'connection_unused',
	'critical_errors',
	'service_app_refused',
];

/**
 * The vault's Prometheus metrics, in a registry of their own per app. Labels are route templates,
 * status codes, outcomes and states: never a client id, a token or any other secret. The
 * database gauges are read at scrape time.
 */
export function createVaultMetrics(
	db: Database,
	config: Pick<Config, 'monitoring'>,
	limitsShared: () => boolean = () => false,
) {
	const registry = new Registry();
	collectDefaultMetrics({ register: registry, prefix: 'otobot_vault_' });
	const registers = [registry];
	const gaugeOf = (state: string, rows: { state: string; count: number }[]) =>
		rows.find((row) => row.state === state)?.count ?? 0;
	return {
		registry,
		httpRequests: new Counter({
			name: 'otobot_vault_http_requests_total',
			help: 'HTTP requests by route template, method and status code',
			labelNames: ['method', 'route', 'status_code'] as const,
			registers,
		}),
		httpDuration: new Histogram({
			name: 'otobot_vault_http_request_duration_seconds',
			help: 'HTTP request latency by route template, method and status code',
			labelNames: ['method', 'route', 'status_code'] as const,
			buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
			registers,
		}),
		credentialFetches: new Counter({
			name: 'otobot_vault_credential_fetches_total',
			help: 'Credential fetches (GET /v1/credentials/...) by outcome (ok or the error code)',
			labelNames: ['outcome'] as const,
			registers,
		}),
		refreshes: new Counter({
			name: 'otobot_vault_refreshes_total',
			help: 'OAuth2 refresh attempts by trigger (fetch, background, manual) and outcome',
			labelNames: ['trigger', 'outcome'] as const,
			registers,
		}),
		auditWrite: new Histogram({
			name: 'otobot_vault_audit_write_duration_seconds',
			help: 'Time to commit one batch of audit rows, by result',
			labelNames: ['result'] as const,
			buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
			registers,
		}),
		authRefusals: new Counter({
			name: 'otobot_vault_auth_refusals_total',
			help: 'Requests refused before authentication (no_token, invalid_token, auth_blocked, rate_limited)',
			labelNames: ['reason'] as const,
			registers,
		}),
		criticalErrors: new Counter({
			name: 'otobot_vault_critical_errors_total',
			help: 'Critical errors seen by this process, by kind',
			labelNames: ['kind'] as const,
			registers,
		}),
		connections: new Gauge({
			name: 'otobot_vault_connections',
			help: 'Connections by token state (expiring: within 24 h)',
			labelNames: ['state'] as const,
			registers,
			async collect() {
				const rows = await metricsStore(db).connectionStates(EXPIRING_WITHIN_HOURS);
				for (const state of CONNECTION_STATES) this.set({ state }, gaugeOf(state, rows));
			},
		}),
		apiTokens: new Gauge({
			name: 'otobot_vault_api_tokens',
			help: 'API tokens by state (expiring: within TOKEN_EXPIRY_WARNING_DAYS)',
			labelNames: ['state'] as const,
			registers,
			async collect() {
				const rows = await metricsStore(db).apiTokenStates(config.monitoring.tokenWarningDays);
				for (const state of TOKEN_STATES) this.set({ state }, gaugeOf(state, rows));
			},
		}),
		openAlerts: new Gauge({
			name: 'otobot_vault_open_alerts',
			help: 'Open alerts by rule',
			labelNames: ['rule'] as const,
			registers,
			async collect() {
				const rows = await alertsStore(db).countOpenByRule();
				for (const rule of RULES)
					this.set({ rule }, rows.find((row) => row.rule === rule)?.count ?? 0);
			},
		}),
		// the chain head, scraped into a store the database cannot rewrite (`audit verify --expect-head`)
		auditHead: new Gauge({
			name: 'otobot_vault_audit_chain_head_id',
			help: "The audit chain's newest row id (its hash: otobot_vault_audit_chain_head_info)",
			registers,
			async collect() {
				this.set((await auditStore(db).readHead())?.last_id ?? 0);
			},
		}),
		auditHeadInfo: new Gauge({
			name: 'otobot_vault_audit_chain_head_info',
			help: 'Always 1; labels: the newest audit row id and its hex chain hash (not a secret)',
			labelNames: ['id', 'hash'] as const,
			registers,
			async collect() {
				const head = await auditStore(db).readHead();
				this.reset();
				this.set(
					{
						id: String(head?.last_id ?? 0),
						hash: head ? Buffer.from(head.last_hash).toString('hex') : '',
					},
					1,
				);
			},
		}),
		sharedLimitsUp: new Gauge({
			name: 'otobot_vault_shared_limits_up',
			help: '1: rate limit and failure guard count in Redis for every process; 0: per process',
			registers,
			collect() {
				this.set(limitsShared() ? 1 : 0);
			},
		}),
		pool: new Gauge({
			name: 'otobot_vault_database_pool_connections',
			help: 'Database pool: connections in use and pool size',
			labelNames: ['kind'] as const,
			registers,
			collect() {
				const usage = db.poolUsage();
				this.set({ kind: 'in_use' }, usage.inUse);
				this.set({ kind: 'size' }, usage.size);
			},
		}),
	};
}

export type VaultMetrics = ReturnType<typeof createVaultMetrics>;
