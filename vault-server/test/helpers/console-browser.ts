import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { runsHere } from './skips.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it): no browser download here. */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** Whether the browser tests run here: chromium installed (under CI its absence fails). */
export const hasChromium = () =>
	runsHere(
		'the console browser tests',
		existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium)`,
	);

export const launchChromium = (): Promise<Browser> =>
	chromium.launch({ executablePath: CHROMIUM, args: ARGS });

/** A free TCP port on 127.0.0.1 (the vault's PUBLIC_URL must name its port before it starts). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/** The axe-core violations of impact serious or critical on the page as it is now (WCAG 2.1 A/AA). */
export async function seriousViolations(page: Page): Promise<string[]> {
	const result = await new AxeBuilder({ page })
		.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
		.analyze();
	return result.violations
		.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
		.map(
			(violation) =>
				`${violation.id} (${violation.impact}): ${violation.nodes.map((n) => n.target.join(' ')).join(', ')}`,
		);
}
