// Reads the vault's metrics and writes the soak's report.

/** The sum of a Prometheus metric's samples whose line contains `label`. */
const metric = (text, name, label = '') =>
	text
		.split('\n')
		.filter((line) => line.startsWith(name) && line.includes(label))
		.reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);

/** Refreshes since the last call, from the cumulative counter of /metrics. */
export function refreshesSince(totals, metrics) {
	const refreshed = metric(metrics, 'otobot_vault_refreshes_total', 'outcome="refreshed"');
	const failed = metric(metrics, 'otobot_vault_refreshes_total') - refreshed;
	const delta = { refreshed: refreshed - totals.refreshed, refreshFailed: failed - totals.failed };
	Object.assign(totals, { refreshed, failed });
	return delta;
}

export { metric };

/** The soak's results as Markdown for docs/RELIABILITY.md. */
export function report(
	{ rows, keyEvents, status, audit, providerStats },
	{ minutes, rate, connections, clients },
) {
	const out = [];
	out.push(
		`Soak: ${minutes} min, ${rate} fetches/s over ${connections} connections, ${clients} clients x 2 connections (OAuth2 renewed about every 30 s, API key), PostgreSQL, \`serve\` with its refresher.`,
		'',
	);
	out.push(
		'| minute | fetches | errors | p50 ms | p99 ms | RSS max MB | heap used MB | refreshes | failed refreshes |',
	);
	out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
	for (const r of rows) {
		out.push(
			`| ${r.minute} | ${r.requests} | ${r.errors} | ${r.p50} | ${r.p99} | ${r.rssMax.toFixed(0)} | ${r.heap.toFixed(1)} | ${r.refreshed} | ${r.refreshFailed} |`,
		);
	}
	out.push('');
	for (const e of keyEvents)
		out.push(`- \`${e.command}\` at minute ${e.at}: exit ${e.code} (${e.output})`);
	out.push(
		`- After the run: \`keys status\`: ${status.output.trim().split('\n').at(-1)}; \`audit verify\`: exit ${audit.code} (${audit.output.trim().split('\n').at(-1)})`,
	);
	out.push(
		providerStats.unreachable
			? '- Provider: unreachable at the end of the run (see "test provider exited" above)'
			: `- Provider: ${providerStats.grants.refresh_token ?? 0} refresh_token grants answered`,
	);
	console.log(out.join('\n'));
}
