import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
	license: string;
	dependencies?: Record<string, string>;
};

describe('the packed package', () => {
	it('ships the MIT LICENSE its package.json names, and no runtime dependency', () => {
		const [packed] = JSON.parse(
			execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
				cwd: root,
				encoding: 'utf8',
			}),
		) as Array<{ files: Array<{ path: string }> }>;
		expect(packed.files.map((file) => file.path)).toContain('LICENSE');
		expect(manifest.license).toBe('MIT');
		expect(readFileSync(`${root}LICENSE`, 'utf8')).toMatch(
			/^MIT License\n\nCopyright \(c\) \d{4} Otobot\n/,
		);
		expect(manifest.dependencies ?? {}).toEqual({});
	}, 60_000);
});
