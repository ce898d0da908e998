import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, linkSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * `backup --output FILE` named a file that exists, and `--force` was not given; or (`folder`)
 * named a folder, which `--force` does not replace either.
 */
export class BackupOutputExists extends Error {
	constructor(
		readonly path: string,
		folder = false,
	) {
		super(
			folder
				? `Refusing to write the backup: ${path} is a folder. Name a file for --output, such as ` +
						`${join(path, 'vault.backup')}.`
				: `Refusing to overwrite ${path}: the file exists. Choose another --output, or add ` +
						'--force to replace it.',
		);
		this.name = 'BackupOutputExists';
	}
}

/**
 * Why a file cannot be written at `output` (its folder is missing, not a folder, or not
 * writable), in words naming the user's path; undefined when it can be tried.
 */
export function outputFolderProblem(output: string): string | undefined {
	const folder = dirname(output);
	const stat = statSync(folder, { throwIfNoEntry: false });
	if (!stat) return `cannot write ${output}: the folder ${folder} does not exist`;
	if (!stat.isDirectory()) return `cannot write ${output}: ${folder} is not a folder`;
	try {
		accessSync(folder, constants.W_OK);
	} catch {
		return `cannot write ${output}: the folder ${folder} is not writable by this user`;
	}
	return undefined;
}

/**
 * BackupOutputExists when `output` is a folder, or exists and may not be replaced; checked before
 * any work.
 */
export function refuseExistingOutput(output: string, replace: boolean): void {
	if (statSync(output, { throwIfNoEntry: false })?.isDirectory())
		throw new BackupOutputExists(output, true);
	if (!replace && existsSync(output)) throw new BackupOutputExists(output);
}

/**
 * A new, unused path beside `output` for the file being written: in the same folder, so that
 * putting it in place is a rename on one file system (atomic, POSIX rename(2)), and random, so a
 * stale file of an earlier run is never reused (it would keep its own mode).
 */
export const temporaryBeside = (output: string) =>
	join(dirname(output), `.${basename(output)}.${randomBytes(8).toString('hex')}.partial`);

/**
 * Puts the finished `temporary` file at `output` in one step. With `replace`, a rename over what
 * is there; without, a hard link, which the kernel refuses (EEXIST → BackupOutputExists) when
 * `output` appeared meanwhile, so an existing file is never overwritten. A file system without
 * hard links falls back to checking, then renaming.
 */
export function putInPlace(temporary: string, output: string, replace: boolean): void {
	if (replace) return renameSync(temporary, output);
	try {
		linkSync(temporary, output);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'EEXIST' || existsSync(output)) throw new BackupOutputExists(output);
		if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
		return renameSync(temporary, output);
	}
	rmSync(temporary);
}
