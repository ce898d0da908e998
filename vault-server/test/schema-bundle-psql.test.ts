import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTestPostgres } from './helpers/databases.js';
import { sqlDirectory } from '../src/storage/sql-directory.js';
import { createPostgresDatabase } from './helpers/databases.js';

const bundlePath = join(sqlDirectory(), 'create-frontend-database.sql');
const hasPostgres = hasTestPostgres('the psql run of sql/create-frontend-database.sql');

/** psql reading `input` on stdin, as an operator typing into a session would. */
function psql(url: string, input: string): Promise<{ code: number; stderr: string }> {
	// the session's own setting: the file must turn ON_ERROR_STOP on itself
	return new Promise((resolve) => {
		const child = execFile('psql', ['-X', '-q', url], (error, _stdout, stderr) =>
			resolve({ code: error ? Number(error.code) : 0, stderr }),
		);
		child.stdin!.end(input);
	});
}

describe.runIf(hasPostgres)('sql/create-frontend-database.sql through psql', () => {
	it('creates the schema once, and run again with \\i stops at the first error, saying why', async () => {
		const database = await createPostgresDatabase();
		try {
			const first = await psql(database.url, `\\i ${bundlePath}\n`);
			expect(first).toEqual({ code: 0, stderr: '' });

			const second = await psql(database.url, `\\i ${bundlePath}\n`);
			const errors = second.stderr.split('\n').filter((line) => line.includes('ERROR'));
			expect(errors).toHaveLength(1);
			expect(errors[0]).toContain('The Otobot Vault schema already exists');
		} finally {
			await database.drop();
		}
	});
});
