// Fixtures are JSON files with {{NAME}} placeholders for what only exists at run time
// (ports, tokens); rendered into the work folder before n8n imports them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;

function render(text, values) {
	return text.replace(/\{\{([A-Z_]+)\}\}/g, (match, name) => {
		if (!(name in values)) throw new Error(`fixture placeholder ${match} has no value`);
		return values[name];
	});
}

/** Renders one fixture file (path relative to fixtures/) into the work folder. */
export function renderFixture(workDir, relativePath, values) {
	const path = join(workDir, relativePath.replaceAll('/', '-'));
	writeFileSync(path, render(readFileSync(join(fixtures, relativePath), 'utf8'), values));
	return path;
}

/**
 * Writes the rendered credentials file and the workflows into one folder (for a single
 * `n8n import:workflow --separate`); returns their paths.
 */
export function renderFixtures(workDir, values) {
	const credentials = join(workDir, 'credentials.json');
	writeFileSync(
		credentials,
		render(readFileSync(join(fixtures, 'credentials.json'), 'utf8'), values),
	);
	const workflows = join(workDir, 'workflows');
	mkdirSync(workflows);
	for (const name of readdirSync(join(fixtures, 'workflows')).filter((n) => n.endsWith('.json'))) {
		const text = readFileSync(join(fixtures, 'workflows', name), 'utf8');
		writeFileSync(join(workflows, name), render(text, values));
	}
	return { credentials, workflows };
}
