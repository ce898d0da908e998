import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { firstHostUrl, hostListOf } from '../src/config/database-url.js';
import { DatabaseUnreachable, unreachableReason } from '../src/storage/database-unreachable.js';

const TWO_HOSTS =
	'postgres://vault:pw-not-shown@10.0.0.1:5432,10.0.0.2:5433/otobot?target_session_attrs=read-write';

describe('DATABASE_URL with several hosts, DATABASE_DIRECT_URL and DATABASE_POOLER', () => {
	it('accepts several hosts, as libpq and postgres.js read them', () => {
		const config = loadConfig({ DATABASE_URL: TWO_HOSTS });
		expect(config.databaseUrl?.reveal()).toBe(TWO_HOSTS);
		expect(hostListOf(TWO_HOSTS)).toBe('10.0.0.1:5432,10.0.0.2:5433');
		expect(firstHostUrl(TWO_HOSTS)).toBe(
			'postgres://vault:pw-not-shown@10.0.0.1:5432/otobot?target_session_attrs=read-write',
		);
		expect(firstHostUrl('postgres://a@h:1/db')).toBe('postgres://a@h:1/db');
	});

	it('still refuses a password with an unencoded @ or / among several hosts', () => {
		expect(() =>
			loadConfig({ DATABASE_URL: 'postgres://vault:p@ss/w0rd@10.0.0.1:5432,10.0.0.2/otobot' }),
		).toThrow(/DATABASE_URL is not a valid connection URL/);
	});

	it('reads the pooler settings, transaction pooler and direct URL', () => {
		const config = loadConfig({
			DATABASE_URL: 'postgres://vault@pgbouncer:6432/otobot',
			DATABASE_POOLER: 'transaction',
			DATABASE_DIRECT_URL: 'postgres://vault@db:5432/otobot',
		});
		expect(config.databasePooler).toBe('transaction');
		expect(config.databaseDirectUrl?.reveal()).toBe('postgres://vault@db:5432/otobot');
		expect(loadConfig({}).databasePooler).toBe('none');
	});

	it('refuses a pooler setting without DATABASE_URL, or a pooler it does not know', () => {
		expect(() => loadConfig({ DATABASE_POOLER: 'transaction' })).toThrow(
			/DATABASE_POOLER needs DATABASE_URL/,
		);
		expect(() => loadConfig({ DATABASE_DIRECT_URL: 'postgres://vault@db/otobot' })).toThrow(
			/DATABASE_DIRECT_URL needs DATABASE_URL/,
		);
		expect(() =>
			loadConfig({ DATABASE_URL: 'postgres://vault@db/otobot', DATABASE_POOLER: 'statement' }),
		).toThrow(/DATABASE_POOLER must be/);
		expect(() =>
			loadConfig({ DATABASE_URL: 'postgres://vault@db/otobot', DATABASE_DIRECT_URL: 'db:5432' }),
		).toThrow(/DATABASE_DIRECT_URL must be/);
	});

	it('names every host when they cannot be reached, never the password', () => {
		const error = new DatabaseUnreachable(
			TWO_HOSTS,
			'the environment',
			unreachableReason(
				Object.assign(new Error('connect failed with pw-not-shown'), { code: 'ECONNREFUSED' }),
				TWO_HOSTS,
			),
		);
		expect(error.message).toContain('postgres://vault@10.0.0.1:5432,10.0.0.2:5433/otobot');
		expect(error.message).toContain('is PostgreSQL running?');
		expect(error.message).not.toContain('pw-not-shown');
	});
});
