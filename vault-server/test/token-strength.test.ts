import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServe, stopChildren } from './helpers/cli.js';
import { testConfig } from './helpers/vault-app.js';

const strong = () => randomBytes(32).toString('hex');
/** The test helper's tokens are short; each test names the one it checks. */
const strongTokens = () => ({ ADMIN_API_TOKEN: strong(), INTERNAL_API_TOKEN: strong() });
// on PostgreSQL: production on the embedded database adds a warning of its own (config.ts)
const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/vault' };
const WEAK = [
	'aaaaaaaaaaaaaaaa', // 16 characters, the review's example
	'a'.repeat(64),
	'ab'.repeat(32),
	'0123456789abcdefghijklmnopqrstu', // 31 characters
	'password1password1password1password1', // 8 distinct characters
];

describe('API tokens from the environment', () => {
	afterAll(stopChildren);

	it('production refuses a weak admin or read token in one line naming the rule, never the value', () => {
		for (const variable of ['ADMIN_API_TOKEN', 'INTERNAL_API_TOKEN']) {
			for (const weak of WEAK) {
				// a strong value beside it does not excuse it: every value of the list is a valid token
				const value = `${strong()},${weak}`;
				let message = '';
				try {
					testConfig({ ...strongTokens(), ...production, [variable]: value });
				} catch (error) {
					message = (error as Error).message;
				}
				expect(message, `${variable}=${weak}`).toBe(
					`${variable} values must each be at least 32 characters with at least 10 different ` +
						'ones, e.g. the output of `openssl rand -hex 32` (NODE_ENV=production) (set in the environment)',
				);
			}
		}
	});

	it('production takes `openssl rand -hex 32` and `openssl rand -base64 32` values', () => {
		for (let i = 0; i < 200; i += 1) {
			const hex = strong();
			const base64 = randomBytes(32).toString('base64');
			const config = testConfig({
				...production,
				ADMIN_API_TOKEN: hex,
				INTERNAL_API_TOKEN: `${base64}, ${randomBytes(24).toString('base64url')}`,
			});
			expect(config.adminTokens).toHaveLength(1);
			expect(config.warnings).toEqual([]);
		}
	});

	it('outside production, takes a weak token and serve warns about it, without the value', async () => {
		const weak = 'aaaaaaaaaaaaaaaa';
		expect(testConfig({ ...strongTokens(), ADMIN_API_TOKEN: weak }).warnings).toEqual([
			'ADMIN_API_TOKEN values must each be at least 32 characters with at least 10 different ones, ' +
				'e.g. the output of `openssl rand -hex 32`; NODE_ENV=production refuses it (set in the environment)',
		]);
		const vault = await startServe({
			VAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'otobot-weak-token-')),
			PORT: '0',
			LOG_FORMAT: 'json',
			REFRESHER_ENABLED: 'false',
			...strongTokens(),
			ADMIN_API_TOKEN: weak,
		});
		expect(vault.output()).toContain('ADMIN_API_TOKEN values must each be at least 32 characters');
		expect(vault.output()).not.toContain(weak);
	}, 120_000);
});
