/**
 * The security-critical modules `npm run mutation` mutates, each with the test files that cover
 * it (only those run for its mutants). When a file moves, change its path here. The audit chain
 * and authentication are split by file, so that each part is measured in minutes.
 */
export const MODULES = {
	crypto: {
		mutate: ['src/crypto/*.ts'],
		tests: ['test/crypto.test.ts', 'test/crypto-keyring.test.ts', 'test/crypto-keys.test.ts'],
	},
	// the canonical text each row's hash covers
	'audit-format': {
		mutate: ['src/domain/audit-chain.ts'],
		tests: ['test/audit-chain.test.ts'],
	},
	// the verifier of the chain, the appender that chains new rows, the chain keys
	'audit-chain': {
		mutate: [
			'src/domain/audit-chain-verify.ts',
			'src/domain/audit-chain-appender.ts',
			'src/domain/audit-chain-keys.ts',
		],
		// in-process and small: the vault-level tests of the chain rerun whole vaults per mutant
		tests: ['test/audit-chain-verdicts.test.ts'],
	},
	// the group-commit writer: fail closed, one row the database refuses fails only its request
	'audit-writer': {
		mutate: ['src/domain/audit-writer.ts'],
		// writers of the test's own on one vault: the request-level tests rerun whole vaults per mutant
		tests: ['test/audit-writer-rules.test.ts', 'test/recent-use.test.ts'],
	},
	// who a bearer token is: hashing, lookup, expiry, revocation, the cache
	'api-tokens': {
		mutate: ['src/domain/api-tokens.ts'],
		tests: ['test/api-tokens.test.ts'],
	},
	// bearer authentication on every route, scopes and per-client limits, the failure guard
	auth: {
		mutate: ['src/plugins/app/auth.ts'],
		// one vault and a few routes: auth-every-route.test.ts walks every route per mutant
		tests: ['test/auth-rules.test.ts'],
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
		// refreshers of the test's own on one vault: the request-level refresh tests rerun whole
		// vaults per mutant (about an hour a run)
		tests: [
			'test/refresh-decision-triggers.test.ts',
			'test/refresh-decision-answers.test.ts',
			'test/refresh-decision-attempts.test.ts',
			'test/refresh-decision-connection.test.ts',
		],
	},
};
