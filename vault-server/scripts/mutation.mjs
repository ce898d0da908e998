// Mutation testing of the security-critical modules (mutation/modules.mjs) with StrykerJS: runs
// each module's mutants against its tests, then prints the survivors and `mutation score: N%`.
//   node scripts/mutation.mjs [module ...]     (default: every module; exits 1 under 80 %)
import { relative } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import { MODULES } from '../mutation/modules.mjs';

const TARGET = 80;
const DETECTED = new Set(['Killed', 'Timeout']);
const COUNTED = new Set(['Killed', 'Timeout', 'Survived', 'NoCoverage']);

const names = process.argv.slice(2);
for (const name of names) {
	if (!MODULES[name]) {
		console.error(`unknown module "${name}"; known: ${Object.keys(MODULES).join(', ')}`);
		process.exit(2);
	}
}

/** Killed (or timed out) mutants over those that could be: Stryker's own definition. */
function score(results) {
	const counted = results.filter((result) => COUNTED.has(result.status));
	const detected = counted.filter((result) => DETECTED.has(result.status)).length;
	return { detected, counted: counted.length, percent: (100 * detected) / (counted.length || 1) };
}

const all = [];
for (const name of names.length ? names : Object.keys(MODULES)) {
	const { mutate, tests } = MODULES[name];
	process.env.MUTATION_TESTS = tests.join(',');
	// a sandbox per module, so that two modules can be measured at the same time
	const tempDirName = `.stryker-tmp/${name}`;
	const results = await new Stryker({ mutate, tempDirName }).runMutationTest();
	all.push(...results);
	const { detected, counted, percent } = score(results);
	console.log(`${name}: ${detected}/${counted} mutants killed (${percent.toFixed(1)} %)`);
}

const survivors = all.filter(
	(result) => result.status === 'Survived' || result.status === 'NoCoverage',
);
console.log(`\nsurvivors (${survivors.length}):`);
for (const mutant of survivors) {
	const where = `${relative(process.cwd(), mutant.fileName)}:${mutant.location.start.line}`;
	console.log(
		`  ${where} ${mutant.mutatorName} [${mutant.status}] -> ${JSON.stringify(mutant.replacement)}`,
	);
}
const total = score(all);
console.log(`mutation score: ${Math.floor(total.percent)}%`);
process.exitCode = total.percent >= TARGET ? 0 : 1;
