// Runs n8n's own community-package scanner (@n8n/scan-community-package, pinned in
// devDependencies) on exactly the tarball `npm pack` makes of this package; exits 1 on any
// finding but the one listed in ACCEPTED below. Usage: npm run scan (it builds and packs itself,
// with test-n8n/lib/package.mjs as the real-n8n test does).
//
// The scanner's CLI only scans a package published on registry.npmjs.org (the address is fixed
// in its code): it requires npm provenance, downloads the GitHub source the provenance attests
// and the published tarball, and lints both with one ESLint config (inline eslint-disable comments
// ignored). An unpublished build has neither, so this calls the scanner's own exported
// `analyzePackage` on the same two legs with the same file patterns:
//   - source: this checkout (what a provenance commit points at), SOURCE_FILE_PATTERNS;
//   - tarball: the packed tarball unpacked, its compiled .js and its package.json.
// Left out: the provenance check itself, which only `npm publish --provenance` from CI can meet.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildAndPack } from '../test-n8n/lib/package.mjs';

const repo = new URL('../', import.meta.url).pathname;
/** The tarball leg's patterns, as the scanner's analyzePackageByName passes them. */
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

/**
 * Findings accepted on purpose, by rule and file (relative to the leg's root). Each one must
 * still occur: a stale entry fails the scan too, so the list only shrinks.
 *
 * The Credential Test (`testedBy`) gets from n8n only the legacy `this.helpers.request`
 * (ICredentialTestFunctions in n8n-workflow 2.41; n8n-core's CredentialTestContext routes it
 * through n8n's outbound HTTP client, egress filter and proxy included). The scanner calls it
 * deprecated. The ways around it are worse: the global `fetch` would bypass n8n's egress filter
 * and proxy, and a declarative `test` would bring back the bare "ENOTFOUND" of issue 16 §6.
 */
const ACCEPTED = [
	{
		rule: '@n8n/community-nodes/no-deprecated-workflow-functions',
		files: [
			'nodes/OtobotCredentialFetcher/methods/credentialTest.ts',
			'dist/nodes/OtobotCredentialFetcher/methods/credentialTest.js',
		],
	},
];

const isAccepted = (rule, file) => ACCEPTED.some((a) => a.rule === rule && a.files.includes(file));

/**
 * Lints one leg with the scanner's own analyzePackage (its config, its pass/fail); returns the
 * errors it found, each with its rule and file. analyzePackage hands them back only as ESLint's
 * "stylish" text: read back, and refused unless the count matches the formatter's own total.
 */
async function scanLeg(dir, patterns) {
	const result = await analyzePackage(dir, patterns);
	if (result.passed) return [];
	if (!result.details) throw new Error(`the scanner failed: ${result.message}`);
	const findings = [];
	let file;
	let total;
	for (const raw of result.details.split('\n')) {
		const line = raw.replace(/\x1b\[[0-9;]*m/g, ''); // the formatter's colours, on a terminal
		if (line.startsWith('/')) file = relative(dir, line.trim());
		const finding = /^\s+(\d+:\d+)\s+error\s+(.*?)\s+(\S+)$/.exec(line);
		if (finding) findings.push({ file, at: finding[1], message: finding[2], rule: finding[3] });
		total ??= /\((\d+) errors?, \d+ warnings?\)/.exec(line)?.[1];
	}
	if (findings.length === 0 || String(findings.length) !== total) {
		throw new Error(`unreadable scanner output:\n${result.details}`);
	}
	return findings;
}

const work = mkdtempSync(join(tmpdir(), 'otobot-scan-'));
// the scanner makes a temporary folder of its own when loaded and leaves it behind: in `work`
const { TMPDIR } = process.env;
process.env.TMPDIR = work;
const { analyzePackage, SOURCE_FILE_PATTERNS } = await import(
	'@n8n/scan-community-package/scanner/scanner.mjs'
);
if (TMPDIR === undefined) delete process.env.TMPDIR;
else process.env.TMPDIR = TMPDIR;
try {
	const { tarball } = buildAndPack(work);
	const unpacked = join(work, 'package');
	mkdirSync(unpacked);
	execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);

	const legs = [
		{
			name: 'source (package.json, nodes/, credentials/)',
			dir: repo,
			patterns: SOURCE_FILE_PATTERNS,
		},
		{ name: `tarball ${tarball.split('/').pop()}`, dir: unpacked, patterns: TARBALL_FILE_PATTERNS },
	];
	const seen = new Set();
	let failed = false;
	for (const leg of legs) {
		const findings = await scanLeg(leg.dir, leg.patterns);
		const rejected = findings.filter((f) => !isAccepted(f.rule, f.file));
		for (const f of findings) if (isAccepted(f.rule, f.file)) seen.add(`${f.rule} ${f.file}`);
		console.log(`${rejected.length ? '❌' : '✅'} ${leg.name}: ${rejected.length} finding(s)`);
		for (const f of findings) {
			const mark = isAccepted(f.rule, f.file) ? 'accepted' : 'FINDING';
			console.log(`   ${mark} ${f.file}:${f.at} ${f.rule}: ${f.message}`);
		}
		failed ||= rejected.length > 0;
	}
	for (const { rule, files } of ACCEPTED) {
		for (const file of files.filter((f) => !seen.has(`${rule} ${f}`))) {
			console.log(`❌ stale accepted finding (remove it from ACCEPTED): ${rule} in ${file}`);
			failed = true;
		}
	}
	process.exitCode = failed ? 1 : 0;
} finally {
	rmSync(work, { recursive: true, force: true });
}
