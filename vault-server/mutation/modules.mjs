/**
 * The security-critical modules `npm run mutation` mutates, each with the test files that cover
 * it (only those run for its mutants). When a file moves, change its path here.
 */
export const MODULES = {
	crypto: {
		mutate: ['src/crypto/*.ts'],
		tests: ['test/crypto.test.ts', 'test/crypto-keyring.test.ts', 'test/crypto-keys.test.ts'],
	},
	audit: {
		mutate: ['src/domain/audit-chain.ts', 'src/domain/audit-writer.ts'],
		tests: ['test/audit-chain.test.ts', 'test/audit.test.ts'],
	},
	auth: {
		mutate: ['src/plugins/app/auth.ts', 'src/domain/api-tokens.ts'],
		tests: ['test/auth-every-route.test.ts', 'test/credentials-api.test.ts'],
	},
	refresh: {
		mutate: ['src/domain/refresh/refresh-policy.ts', 'src/domain/refresh/refresh-connection.ts'],
		tests: ['test/refresh.test.ts'],
	},
};
