import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardPostgresWrites } from '../build/postgres-write-guard.js';

const driverFile = () =>
	join(dirname(createRequire(import.meta.url).resolve('postgres')), '../../src/connection.js');

describe('the postgres.js write guard (build/postgres-write-guard.ts)', () => {
	it('applies to the installed driver: a write without a socket fails its queries instead of crashing', () => {
		const patched = guardPostgresWrites(readFileSync(driverFile(), 'utf8'));
		expect(patched).toContain(
			"if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED'",
		);
		expect(
			patched.match(/clearImmediate\(nextWriteTimer\)\n {4}chunk = nextWriteTimer = null/g),
		).toHaveLength(3); // terminate(), closed() and nextWrite() itself
	});

	it('refuses a driver whose code changed, so an upgrade is reviewed', () => {
		expect(() => guardPostgresWrites('function nextWrite(fn) {}')).toThrow(
			/postgres\.js connection\.js changed/,
		);
	});
});
