import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Queryable } from './database.js';
import type { FoundTool } from './postgres-tools.js';

/** pg_dump or pg_restore ended with an error: its last stderr line (the server's message). */
export class PostgresToolFailed extends Error {
	constructor(tool: string, detail: string) {
		super(`${tool} failed: ${detail}`);
		this.name = 'PostgresToolFailed';
	}
}

/**
 * libpq's connection for a child process: the URL without its password (other users may read a
 * command line) and the password in PGPASSWORD (only the same user reads a process's environment).
 */
function connectionOf(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
	const parsed = new URL(url);
	const password = decodeURIComponent(parsed.password);
	parsed.password = '';
	const env: NodeJS.ProcessEnv = { ...process.env };
	delete env.PGPASSWORD;
	if (password) env.PGPASSWORD = password;
	return { dbname: parsed.toString(), env };
}

/** Runs `tool` with `args` (and the connection to `url`, if any); resolves with its stdout. */
function runTool(
	tool: FoundTool,
	args: string[],
	options: { url?: string; input?: Readable } = {},
): Promise<string> {
	const { url, input } = options;
	const connection = url ? connectionOf(url) : undefined;
	const name = tool.path.split('/').pop()!;
	return new Promise((resolve, reject) => {
		const child = spawn(tool.path, connection ? [...args, '--dbname', connection.dbname] : args, {
			env: connection?.env ?? process.env,
			stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		let stderr = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			stdout += chunk.toString('utf8');
		});
		child.stderr!.on('data', (chunk: Buffer) => {
			stderr = (stderr + chunk.toString('utf8')).slice(-4000);
		});
		if (input) {
			input.on('error', (error) => {
				child.kill();
				reject(error);
			});
			// pg_restore stops reading at its first error: the rest of the payload is not needed
			child.stdin!.on('error', () => {});
			input.pipe(child.stdin!);
		}
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) return resolve(stdout);
			const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' ');
			reject(new PostgresToolFailed(name, last || `exit code ${code}`));
		});
	});
}

/** The server's major version (15 for 15.4), from `server_version_num`. */
export async function serverMajor(db: Queryable): Promise<number> {
	const [row] = await db.query<{ num: string }>(
		`SELECT current_setting('server_version_num') AS num`,
	);
	return Math.floor(Number(row!.num) / 10_000);
}

/** The schema the vault's tables live in (the connection's search_path), usually `public`. */
export async function currentSchema(db: Queryable): Promise<string> {
	const [row] = await db.query<{ schema: string }>('SELECT current_schema() AS schema');
	return row!.schema;
}

/**
 * `pg_dump --format=custom` of `schema` into the file `output`: one consistent snapshot (pg_dump
 * runs in one repeatable-read transaction), without owners or grants, so it restores under
 * whichever role restores it.
 */
export async function dumpSchema(
	pgDump: FoundTool,
	url: string,
	schema: string,
	output: string,
): Promise<void> {
	await runTool(
		pgDump,
		['--format=custom', '--schema', schema, '--no-owner', '--no-privileges', '--file', output],
		{ url },
	);
}

/**
 * The archive's table of contents (`pg_restore --list`) without the entries that create or comment
 * on `schema`: a new database has `public` already, and `CREATE SCHEMA public` would fail.
 */
function withoutSchemaEntries(list: string, schema: string): string {
	const name = schema.replace(/[^a-z0-9_]/g, (c) => `\\${c}`);
	const own = new RegExp(`^\\d+; \\d+ \\d+ (SCHEMA - ${name}|COMMENT - SCHEMA ${name}) `);
	return list
		.split('\n')
		.filter((line) => !own.test(line))
		.join('\n');
}

/**
 * Restores a custom-format archive (read from `archive()`, twice: once for its table of contents)
 * into the database at `url`, in one transaction: on any error nothing is left restored.
 * `existingSchema` names a schema the target has already (its entries are left out).
 */
export async function restoreArchive(
	pgRestore: FoundTool,
	url: string,
	archive: () => Readable,
	existingSchema?: string,
): Promise<void> {
	const args = ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error'];
	const work = mkdtempSync(join(tmpdir(), 'otobot-restore-'));
	try {
		if (existingSchema) {
			const list = await runTool(pgRestore, ['--list'], { input: archive() });
			const listFile = join(work, 'toc.list');
			writeFileSync(listFile, withoutSchemaEntries(list, existingSchema), { mode: 0o600 });
			args.push('--use-list', listFile);
		}
		await runTool(pgRestore, args, { url, input: archive() });
	} finally {
		rmSync(work, { recursive: true, force: true });
	}
}

/** Whether the database at the other end has a schema named `name` (a new one has `public`). */
export async function schemaExists(db: Queryable, name: string): Promise<boolean> {
	const rows = await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [name]);
	return rows.length > 0;
}

/** Up to `limit` names of relations (tables, views, sequences) in the current schema. */
export async function relationsInSchema(db: Queryable, limit = 3): Promise<string[]> {
	const rows = await db.query<{ name: string }>(
		`SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		 ORDER BY c.relname LIMIT $1`,
		[limit],
	);
	return rows.map((row) => row.name);
}

/** The URL of database `name` on the server of `url`. */
export function urlOfDatabase(url: string, name: string): string {
	const parsed = new URL(url);
	parsed.pathname = `/${name}`;
	return parsed.toString();
}

const SCRATCH_NAME = /^otobot_backup_verify_[0-9a-f]{12}$/;

/** Creates an empty database `name` (otobot_backup_verify_<12 hex>); needs CREATEDB. */
export async function createScratchDatabase(db: Queryable, name: string): Promise<void> {
	if (!SCRATCH_NAME.test(name)) throw new Error(`not a scratch database name: ${name}`);
	await db.query(`CREATE DATABASE ${name}`);
}

/** Drops the scratch database `name`, ending any session still in it. */
export async function dropScratchDatabase(db: Queryable, name: string): Promise<void> {
	if (!SCRATCH_NAME.test(name)) throw new Error(`not a scratch database name: ${name}`);
	await db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
