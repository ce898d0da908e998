import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type PostgresTool = 'pg_dump' | 'pg_restore';

/** Where to look for the PostgreSQL client programs. */
export interface ToolSearch {
	/** A PATH value (directories joined by the platform's delimiter). */
	path: string | undefined;
	/** Debian's and Ubuntu's root of versioned installs, holding `<major>/bin`. */
	postgresRoot: string;
}

/** No usable pg_dump / pg_restore: missing, or older than the server. One line, what to install. */
export class PostgresToolMissing extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PostgresToolMissing';
	}
}

export interface FoundTool {
	path: string;
	major: number;
}

/** The major version `<tool> --version` prints ("pg_dump (PostgreSQL) 15.20 (Debian ...)"). */
async function majorOf(path: string): Promise<number | undefined> {
	try {
		const { stdout } = await run(path, ['--version'], { timeout: 30_000 });
		const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
		return match ? Number(match[1]) : undefined;
	} catch {
		return undefined;
	}
}

async function pgConfigBindir(search: ToolSearch): Promise<string | undefined> {
	for (const dir of (search.path ?? '').split(delimiter).filter(Boolean)) {
		const pgConfig = join(dir, 'pg_config');
		if (!existsSync(pgConfig)) continue;
		try {
			return (await run(pgConfig, ['--bindir'], { timeout: 30_000 })).stdout.trim();
		} catch {
			return undefined;
		}
	}
	return undefined;
}

function versionedBindirs(root: string, serverMajor: number): string[] {
	let majors: number[];
	try {
		majors = readdirSync(root)
			.filter((name) => /^\d+$/.test(name))
			.map(Number);
	} catch {
		return [];
	}
	// the server's own major first, then newer ones (a newer pg_dump reads an older server)
	return majors
		.filter((major) => major >= serverMajor)
		.sort((a, b) => (a === serverMajor ? -1 : b === serverMajor ? 1 : b - a))
		.map((major) => join(root, String(major), 'bin'));
}

/**
 * Finds `tool` for a server of major version `serverMajor` (`SHOW server_version_num` / 10000):
 * the first of `<postgresRoot>/<serverMajor>/bin`, each PATH directory, `pg_config --bindir` and
 * newer `<postgresRoot>/<major>/bin` whose `--version` is the server's major, else the first
 * newer one. pg_dump refuses a server newer than itself, hence the check.
 *
 * @throws PostgresToolMissing naming what was found and what to install
 */
export async function findPostgresTool(
	tool: PostgresTool,
	serverMajor: number,
	search: ToolSearch,
): Promise<FoundTool> {
	const dirs = [
		...versionedBindirs(search.postgresRoot, serverMajor).slice(0, 1),
		...(search.path ?? '').split(delimiter).filter(Boolean),
	];
	const bindir = await pgConfigBindir(search);
	if (bindir) dirs.push(bindir);
	dirs.push(...versionedBindirs(search.postgresRoot, serverMajor));
	const found: FoundTool[] = [];
	for (const dir of [...new Set(dirs)]) {
		const path = join(dir, tool);
		if (!existsSync(path) || found.some((f) => f.path === path)) continue;
		const major = await majorOf(path);
		if (major === undefined) continue;
		if (major === serverMajor) return { path, major };
		found.push({ path, major });
	}
	const newer = found.find((f) => f.major > serverMajor);
	if (newer) return newer;
	const install = `install the PostgreSQL ${serverMajor} client (Debian/Ubuntu: apt-get install postgresql-client-${serverMajor})`;
	if (found.length > 0) {
		const list = found.map((f) => `${f.path} is ${f.major}`).join(', ');
		throw new PostgresToolMissing(
			`${tool} is older than the PostgreSQL ${serverMajor} server (${list}): ${install}`,
		);
	}
	throw new PostgresToolMissing(
		`${tool} not found (looked in ${search.postgresRoot}/<major>/bin, on PATH and in pg_config --bindir): ${install}`,
	);
}
