// Installed the way users install it: the packed package is published to a local npm registry
// (verdaccio on 127.0.0.1), a real `n8n start` installs it by name with the REST call of
// Settings → Community Nodes → Install, and a workflow then runs the node.
//
// n8n 2.41.1 installs from a registry other than its default only with an enterprise licence
// (CommunityPackagesService.getNpmRegistry throws FeatureNotLicensedError for
// N8N_COMMUNITY_PACKAGES_REGISTRY without feat:communityNodes:customRegistry): the first
// check shows that refusal. So n8n keeps its default registry, and reaches it through an HTTPS
// proxy (HTTPS_PROXY, as behind a company proxy) that serves that host from the local registry.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { strict as assert } from 'node:assert';

import { renderFixture } from './lib/fixtures.mjs';
import { N8n, nodeOutput } from './lib/n8n.mjs';
import { startN8nServer } from './lib/n8n-server.mjs';
import { startRegistryProxy } from './lib/registry-proxy.mjs';
import { startRegistry } from './lib/verdaccio.mjs';

const PACKAGE = 'n8n-nodes-otobot';
const packageJson = new URL('../package.json', import.meta.url);

/** The registry n8n installs from when N8N_COMMUNITY_PACKAGES_REGISTRY is not set, from its config. */
function n8nDefaultRegistry(host) {
	const n8nDir = dirname(dirname(host.n8nBin));
	const { N8N_COMMUNITY_PACKAGES_REGISTRY: _ignored, ...env } = host.env;
	const script = `require('reflect-metadata');
const { Container } = require('@n8n/di');
const { CommunityPackagesConfig } = require('./dist/modules/community-packages/community-packages.config.js');
process.stdout.write(Container.get(CommunityPackagesConfig).registry);`;
	return execFileSync(join(host.nodeBin, 'node'), ['-e', script], {
		cwd: n8nDir,
		env,
		encoding: 'utf8',
	});
}

/** Node's extra CAs as this machine sets them, plus the proxy's CA: one file for n8n. */
function caBundle(dir, proxyCaFile) {
	const existing = process.env.NODE_EXTRA_CA_CERTS;
	const file = join(dir, 'ca-bundle.pem');
	writeFileSync(
		file,
		[existing ? readFileSync(existing, 'utf8') : '', readFileSync(proxyCaFile, 'utf8')].join('\n'),
	);
	return file;
}

const newN8n = (host, userFolder, extraEnv) => {
	mkdirSync(userFolder, { recursive: true });
	return new N8n({ host, userFolder, encryptionKey: randomBytes(24).toString('hex'), extraEnv });
};

/**
 * Runs the registry checks with run.mjs's `check`, on its n8n `host`, packed `tarball`, started
 * `vault` and fixture `values`; pushes what it starts onto `stops`.
 */
export async function registryInstallChecks({
	check,
	host,
	tarball,
	vault,
	values,
	workDir,
	log,
	stops,
}) {
	const dir = join(workDir, 'registry-install');
	mkdirSync(dir, { recursive: true });
	log('starting a local npm registry (verdaccio) and publishing the packed package to it');
	const registry = await startRegistry({ workDir: dir, host, log });
	stops.push(registry.stop);
	registry.publish(tarball);
	const proxy = await startRegistryProxy({
		workDir: dir,
		registryUrl: n8nDefaultRegistry(host),
		targetUrl: registry.url,
	});
	stops.push(proxy.stop);
	// n8n's other calls out (the package check at n8n's own API) meet the proxy too, which refuses
	// them as it would an unreachable host: no test depends on the internet
	const behindProxy = {
		HTTPS_PROXY: proxy.url,
		HTTP_PROXY: proxy.url,
		NO_PROXY: '127.0.0.1,localhost',
		NODE_EXTRA_CA_CERTS: caBundle(dir, proxy.caFile),
	};

	await check('n8n refuses a custom registry without its enterprise licence', async () => {
		const n8n = newN8n(host, join(dir, 'n8n-custom-registry'), {
			...behindProxy,
			N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url,
		});
		const server = await startN8nServer(n8n);
		try {
			const answer = await server.request('POST', '/rest/community-packages', { name: PACKAGE });
			// n8n answers every install failure it does not class as the user's with 500
			assert.equal(answer.status, 500, JSON.stringify(answer));
			assert.match(
				answer.body.message,
				/Your license does not allow for feat:communityNodes:customRegistry/,
				JSON.stringify(answer),
			);
		} finally {
			await server.stop();
		}
	});

	await check(
		`Community Nodes → Install "${PACKAGE}" from the registry, then a workflow runs it`,
		async () => {
			const n8n = newN8n(host, join(dir, 'n8n'), behindProxy);
			const server = await startN8nServer(n8n);
			try {
				const installed = await server.request('POST', '/rest/community-packages', {
					name: PACKAGE,
				});
				assert.equal(installed.status, 200, JSON.stringify(installed));
				const { packageName, installedVersion, installedNodes } = installed.body.data;
				assert.equal(packageName, PACKAGE);
				assert.equal(installedVersion, JSON.parse(readFileSync(packageJson, 'utf8')).version);
				// every node the package declares (OtobotVaultTrigger.node.js is `otobotVaultTrigger`)
				const declared = JSON.parse(readFileSync(packageJson, 'utf8')).n8n.nodes.map((file) => {
					const name = file
						.split('/')
						.pop()
						.replace(/\.node\.js$/, '');
					return `${PACKAGE}.${name[0].toLowerCase()}${name.slice(1)}`;
				});
				assert.deepEqual(installedNodes.map((node) => node.type).sort(), declared.sort());
				assert.ok(declared.includes(`${PACKAGE}.otobotCredentialFetcher`), declared.join());
				// the package came from the local registry: its document and its tarball
				assert.ok(proxy.served.includes(`GET /${PACKAGE}`), proxy.served.join('\n'));
				assert.ok(
					proxy.served.some((line) => line.startsWith(`GET /${PACKAGE}/-/${PACKAGE}-`)),
					proxy.served.join('\n'),
				);
				const listed = await server.request('GET', '/rest/community-packages');
				assert.deepEqual(
					listed.body.data.map((p) => p.packageName),
					[PACKAGE],
				);
			} finally {
				await server.stop();
			}

			// the installed package, as n8n loads it at start, in a workflow against the test vault
			await n8n.mustRun([
				'import:credentials',
				`--input=${renderFixture(dir, 'credentials.json', values)}`,
			]);
			const workflow = renderFixture(dir, 'workflows/get-credentials.json', values);
			await n8n.mustRun(['import:workflow', `--input=${workflow}`]);
			const run = await n8n.execute('otobotE2eGetCred');
			assert.equal(run.result?.status, 'success', run.output.slice(-3000));
			const [credential] = nodeOutput(run.result, 'Get Credentials');
			const stored = await fetch(`${vault.url}/v1/credentials/acme/google`, {
				headers: { authorization: `Bearer ${vault.internalToken}` },
			});
			assert.equal(credential.access_token, (await stored.json()).access_token);
		},
	);
}
