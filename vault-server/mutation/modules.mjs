/**
 * The security-critical modules `npm run mutation` mutates, each with the test files that cover
 * it (only those run for its mutants). When a file moves, change its path here.
 */
export const MODULES = {
	crypto: {
		mutate: ['src/crypto/*.ts'],
		tests: ['test/crypto.test.ts', 'test/crypto-keyring.test.ts', 'test/crypto-keys.test.ts'],
	},
	// the chain's format, its verifier and the appender that chains new rows
	'audit-chain': {
		mutate: [
			'src/domain/audit-chain.ts',
			'src/domain/audit-chain-appender.ts',
			'src/domain/audit-chain-keys.ts',
			'src/domain/audit-chain-verify.ts',
		],
		tests: [
			'test/audit-chain.test.ts',
			'test/audit-verify.test.ts',
			'test/audit.test.ts',
			'test/audit-keyed-chain.test.ts',
		],
	},
	// the group-commit writer: fail closed, one row the database refuses fails only its request
	'audit-writer': {
		mutate: ['src/domain/audit-writer.ts'],
		tests: [
			'test/audit.test.ts',
			'test/audit-write-transaction.test.ts',
			'test/audit-isolation.test.ts',
		],
	},
	// bearer authentication, token hashing and lookup, scopes and per-client limits
	auth: {
		mutate: ['src/plugins/app/auth.ts', 'src/domain/api-tokens.ts'],
		tests: ['test/api-tokens.test.ts', 'test/auth-every-route.test.ts'],
	},
	// when to refresh, how long to back off
	'refresh-policy': {
		mutate: ['src/domain/refresh/refresh-policy.ts'],
		tests: ['test/refresh-policy.test.ts', 'test/refresh-backoff.test.ts'],
	},
	// whether this refresh calls the provider: single-flight, the lease, compare-and-refresh
	'refresh-decision': {
		mutate: [
			'src/domain/refresh/connection-refresher.ts',
			'src/domain/refresh/refresh-connection.ts',
			'src/domain/refresh/refused-token.ts',
		],
		tests: [
			'test/refresh.test.ts',
			'test/compare-refresh.test.ts',
			'test/manual-refresh.test.ts',
			'test/refresh-backoff.test.ts',
		],
	},
};
