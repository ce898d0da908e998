// End to end in a real n8n: pack this package, install it as the Community Nodes UI does, start
// the real vault with test data and a test API, import credentials and workflows, run them
// headless with `n8n execute`, and assert on what n8n reports. Closes with "N passed, N failed".
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strict as assert } from 'node:assert';

import { renderFixture, renderFixtures } from './lib/fixtures.mjs';
import { manyClientsCheck } from './many-clients.mjs';
import { registryInstallChecks } from './registry-install.mjs';
import { ensureN8nHost } from './lib/host.mjs';
import { N8n, executionError, nodeOutput } from './lib/n8n.mjs';
import { startN8nServer } from './lib/n8n-server.mjs';
import { buildAndPack, installIntoUserFolder } from './lib/package.mjs';
import { startTestApi } from './lib/test-api.mjs';
import { startVault } from './lib/vault.mjs';
import { seedVault, TOKENS } from './lib/seed.mjs';
import { prepareTriggerScenario } from './trigger-scenario.mjs';

const log = (message) => console.log(`[test:n8n] ${message}`);
const tally = { passed: 0, failed: 0 };

async function check(name, body) {
	const started = Date.now();
	try {
		await body();
		tally.passed += 1;
		console.log(`  ok    ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
	} catch (error) {
		tally.failed += 1;
		console.log(`  FAIL  ${name}\n${String(error.stack ?? error).replace(/^/gm, '        ')}`);
	}
}

function assertSuccess(run) {
	assert.equal(
		run.result?.status,
		'success',
		`execution did not succeed:\n${run.output.slice(-3000)}`,
	);
}

async function main() {
	const workDir = mkdtempSync(join(tmpdir(), 'otobot-n8n-e2e-'));
	const stops = [];
	try {
		log('ensuring Node 24 and n8n in the cache folder');
		const host = ensureN8nHost({ log });

		log('building and packing n8n-nodes-otobot');
		const { tarball, files } = buildAndPack(workDir);
		const userFolder = join(workDir, 'n8n');
		mkdirSync(userFolder);
		const installed = installIntoUserFolder(tarball, userFolder, host.env);
		log(`installed ${tarball.split('/').pop()} (${files.length} files) into ${installed}`);

		const testApi = await startTestApi();
		stops.push(testApi.stop);
		const vault = await startVault({
			workDir,
			log,
			env: { ALLOW_INSECURE_OAUTH_URLS: 'true' },
		});
		stops.push(vault.stop);
		await seedVault(vault, testApi);
		log(`vault at ${vault.url}, test API at ${testApi.url}`);

		const n8n = new N8n({ host, userFolder, encryptionKey: randomBytes(24).toString('hex') });
		const fixtures = renderFixtures(workDir, {
			VAULT_URL: vault.url,
			INTERNAL_TOKEN: vault.internalToken,
			TEST_API_URL: testApi.url,
		});
		await n8n.mustRun(['import:credentials', `--input=${fixtures.credentials}`]);
		await n8n.mustRun(['import:workflow', '--separate', `--input=${fixtures.workflows}`]);
		log('imported credentials and workflows; running them');

		// what the vault holds now: checks do not depend on what earlier checks changed
		const currentToken = async (clientId, service) => {
			const response = await fetch(`${vault.url}/v1/credentials/${clientId}/${service}`, {
				headers: { authorization: `Bearer ${vault.internalToken}` },
			});
			return (await response.json()).access_token;
		};
		const audit = async (query) =>
			(await vault.admin('GET', `/v1/audit?${new URLSearchParams({ limit: '1000', ...query })}`))
				.entries;

		await check(
			'Get Credentials returns the stored token; List Connections lists the client',
			async () => {
				const run = await n8n.execute('otobotE2eGetCred');
				assertSuccess(run);
				const [credential] = nodeOutput(run.result, 'Get Credentials');
				assert.equal(credential.access_token, TOKENS.acmeGoogle);
				assert.equal(credential.client_id, 'acme');
				assert.equal(credential.service, 'google');
				const services = nodeOutput(run.result, 'List Connections').map((c) => c.service);
				assert.deepEqual(services.sort(), ['google', 'hubspot', 'slack']);

				const rows = (await audit({ client_id: 'acme' })).filter(
					(row) => row.workflow_id === 'otobotE2eGetCred',
				);
				assert.ok(rows.length >= 1, 'the vault audit shows no request of this workflow');
				assert.ok(
					rows.every((row) => row.execution_id),
					'audit rows lack the execution id',
				);
			},
		);

		await check(
			'Get Access Token feeds an HTTP Request node whose bearer the API accepts',
			async () => {
				testApi.accept(TOKENS.acmeGoogle);
				const run = await n8n.execute('otobotE2eTokenHttp');
				assertSuccess(run);
				const [token] = nodeOutput(run.result, 'Get Access Token');
				assert.equal(token.authorization_header, `Bearer ${TOKENS.acmeGoogle}`);
				assert.deepEqual(nodeOutput(run.result, 'Call API'), [{ ok: true, path: '/v1/me' }]);
			},
		);

		await check(
			'HTTP Request with the Otobot Vault OAuth2 Token credential, then after a refresh',
			async () => {
				testApi.accept(TOKENS.acmeGoogle);
				const first = await n8n.execute('otobotE2eOAuthHttp');
				assertSuccess(first);
				assert.deepEqual(nodeOutput(first.result, 'Call API'), [{ ok: true, path: '/v1/me' }]);

				// the vault now holds a new token and the API refuses the old one: n8n must get a 401
				// with its stored token, fetch again from the vault and retry
				await vault.admin('PUT', '/v1/clients/acme/connections/google', {
					access_token: TOKENS.acmeGoogleRefreshed,
					expires_in: 3600,
				});
				testApi.accept(TOKENS.acmeGoogleRefreshed);
				const seenBefore = testApi.seen.length;
				const second = await n8n.execute('otobotE2eOAuthHttp');
				assertSuccess(second);
				assert.deepEqual(nodeOutput(second.result, 'Call API'), [{ ok: true, path: '/v1/me' }]);
				assert.deepEqual(testApi.seen.slice(seenBefore), [
					TOKENS.acmeGoogle,
					TOKENS.acmeGoogleRefreshed,
				]);
			},
		);

		await check('Refresh Now makes the vault refresh, and the fresh token works', async () => {
			const run = await n8n.execute('otobotE2eRefreshNow');
			assertSuccess(run);
			const [fresh] = nodeOutput(run.result, 'Refresh Now');
			assert.match(fresh.access_token, /^ya29\.refreshed-/);
			assert.notEqual(fresh.access_token, 'xoxb-before-refresh');
			assert.deepEqual(nodeOutput(run.result, 'Call API'), [{ ok: true, path: '/v1/me' }]);
		});

		await check('a connection needing re-authorisation stops with a clear error', async () => {
			const { answer, status } = await vault.refreshAndReadStatus('acme', 'hubspot');
			assert.deepEqual(
				{ status: answer.status, code: answer.code },
				{ status: 409, code: 'CONNECTION_NEEDS_REAUTH' },
				'the vault must answer a refresh the provider refused with CONNECTION_NEEDS_REAUTH',
			);
			assert.equal(status, 'needs_reauth', 'the refused refresh must mark the connection');
			const run = await n8n.execute('otobotE2eReauth');
			assert.equal(
				run.result?.status,
				'error',
				`expected a failed execution:\n${run.output.slice(-2000)}`,
			);
			const error = executionError(run.result);
			assert.match(error.message, /The client must reconnect/);
			assert.match(error.description, /reconnect/i);
		});

		await check('Continue On Fail returns the error on its item and goes on', async () => {
			const run = await n8n.execute('otobotE2eContinue');
			assertSuccess(run);
			const items = nodeOutput(run.result, 'Get Access Token');
			const acmeToken = await currentToken('acme', 'google');
			assert.equal(items.length, 4);
			assert.equal(items[0].access_token, acmeToken);
			assert.equal(items[1].code, 'CLIENT_NOT_FOUND');
			assert.match(items[1].error, /The vault has no client "nobody"/);
			assert.equal(items[2].access_token, TOKENS.globexGoogle);
			assert.equal(items[3].access_token, acmeToken);

			// items 0 and 3 name the same client and service: one vault request serves both
			const acmeFetches = (await audit({ client_id: 'acme', service: 'google' })).filter(
				(row) => row.workflow_id === 'otobotE2eContinue',
			);
			assert.equal(acmeFetches.length, 1, 'expected one vault request for acme/google');
		});

		await check('the README example (examples/) runs: Google token into HTTP Request', async () => {
			// the example as published, pointed at the test API instead of Google and at this
			// run's credentials and client
			const example = JSON.parse(
				readFileSync(new URL('../examples/google-token-to-http-request.json', import.meta.url)),
			);
			example.id = 'otobotE2eExample';
			for (const node of example.nodes) {
				if (node.parameters.url)
					node.parameters.url = `${testApi.url}/calendar/v3/users/me/calendarList`;
				if (node.parameters.clientId) node.parameters.clientId = 'acme';
				if (node.credentials?.otobotDatabaseApi)
					node.credentials.otobotDatabaseApi.id = 'otobotDbCredAcme';
				if (node.credentials?.otobotVaultOAuth2Api)
					node.credentials.otobotVaultOAuth2Api.id = 'otobotTokenAcme';
			}
			const file = join(workDir, 'example.json');
			writeFileSync(file, JSON.stringify(example));
			await n8n.mustRun(['import:workflow', `--input=${file}`]);
			testApi.accept(await currentToken('acme', 'google'));
			const run = await n8n.execute('otobotE2eExample');
			assertSuccess(run);
			const path = '/calendar/v3/users/me/calendarList';
			assert.deepEqual(nodeOutput(run.result, 'List Google Calendars'), [{ ok: true, path }]);
			assert.deepEqual(
				nodeOutput(run.result, 'Same call, token from the OAuth2 Token credential'),
				[{ ok: true, path }],
			);
		});

		await manyClientsCheck({ check, n8n, vault, workDir });

		const trigger = await prepareTriggerScenario({ n8n, workDir, log });
		stops.push(trigger.stop);
		log('starting n8n to press the credential Test buttons');
		const server = await startN8nServer(n8n);
		stops.push(server.stop);
		await trigger.run(check);
		const vaultCredential = (data) => ({
			type: 'otobotDatabaseApi',
			data: {
				vaultUrl: vault.url,
				internalToken: vault.internalToken,
				clientId: 'acme',
				service: 'google',
				otherService: '',
				...data,
			},
		});

		// what both credentials' Test says for a Vault URL where nothing listens, as the node does
		const UNREACHABLE =
			/^Could not reach the Otobot Vault at http:\/\/127\.0\.0\.1:9 \(nothing listens/;

		await check('the Otobot Database Credential Test button tells the failures apart', async () => {
			const cases = [
				[{}, 'OK', /Connection successful/],
				[{ service: 'other', otherService: 'google' }, 'OK', /Connection successful/],
				[{ clientId: 'acme ', service: 'other', otherService: 'GOOGLE' }, 'OK', /successful/],
				[{ vaultUrl: 'http://127.0.0.1:9' }, 'Error', UNREACHABLE],
				[{ internalToken: 'not-the-vault-token-at-all' }, 'Error', /rejected the Internal Token/],
				[{ clientId: 'nobody' }, 'Error', /The vault has no client "nobody"/],
				[{ clientId: 'acme:prod' }, 'Error', /^"acme:prod" can never be a vault Client ID/],
				[{ service: 'zoom' }, 'Error', /has not connected zoom/],
				[{ service: 'hubspot' }, 'Error', /must reconnect/],
			];
			for (const [data, status, message] of cases) {
				const result = await server.testCredential(vaultCredential(data));
				const label = JSON.stringify(data);
				assert.equal(result.status, status, `${label}: ${JSON.stringify(result)}`);
				assert.match(result.message, message, `${label}: ${JSON.stringify(result)}`);
			}
		});

		await check(
			'the Otobot Vault Token (OAuth2) Test button fetches a token from the vault',
			async () => {
				const token = (data) => ({
					id: 'otobotTokenAcme',
					name: 'Otobot Vault OAuth2 Token (acme, google)',
					type: 'otobotVaultOAuth2Api',
					data: { ...vaultCredential(data).data, accessToken: '' },
				});
				const ok = await server.testCredential(token({}));
				assert.equal(ok.status, 'OK', JSON.stringify(ok));
				const reauth = await server.testCredential(token({ service: 'hubspot' }));
				assert.equal(reauth.status, 'Error', JSON.stringify(reauth));
				assert.match(reauth.message, /must reconnect hubspot/, JSON.stringify(reauth));
				// the same values give the same verdicts as the Database Credential's Test
				const spaced = await server.testCredential(
					token({ clientId: 'acme ', service: 'other', otherService: 'GOOGLE' }),
				);
				assert.equal(spaced.status, 'OK', JSON.stringify(spaced));
				const never = await server.testCredential(token({ clientId: 'acme:prod' }));
				assert.match(never.message, /^"acme:prod" can never be a vault Client ID/);
				const unreachable = await server.testCredential(token({ vaultUrl: 'http://127.0.0.1:9' }));
				assert.match(unreachable.message, UNREACHABLE, JSON.stringify(unreachable));
			},
		);

		await check(
			'the package also loads through N8N_CUSTOM_EXTENSIONS (node type CUSTOM.*)',
			async () => {
				const folder = join(workDir, 'n8n-custom');
				mkdirSync(folder);
				const custom = new N8n({
					host,
					userFolder: folder,
					encryptionKey: randomBytes(24).toString('hex'),
					customExtensions: installed,
				});
				const values = {
					VAULT_URL: vault.url,
					INTERNAL_TOKEN: vault.internalToken,
					TEST_API_URL: testApi.url,
				};
				await custom.mustRun(['import:credentials', `--input=${fixtures.credentials}`]);
				const workflow = renderFixture(workDir, 'custom-extensions/get-credentials.json', values);
				await custom.mustRun(['import:workflow', `--input=${workflow}`]);
				const run = await custom.execute('otobotE2eCustomExt');
				assertSuccess(run);
				const [credential] = nodeOutput(run.result, 'Get Credentials');
				assert.equal(credential.access_token, await currentToken('acme', 'google'));
			},
		);

		const values = {
			VAULT_URL: vault.url,
			INTERNAL_TOKEN: vault.internalToken,
			TEST_API_URL: testApi.url,
		};
		await registryInstallChecks({ check, host, tarball, vault, values, workDir, log, stops });
	} catch (error) {
		tally.failed += 1;
		console.log(`  FAIL  set-up\n${String(error.stack ?? error).replace(/^/gm, '        ')}`);
	} finally {
		for (const stop of stops.reverse()) await stop().catch(() => {});
		if (process.env.OTOBOT_E2E_KEEP) log(`kept ${workDir}`);
		else rmSync(workDir, { recursive: true, force: true });
	}
	console.log(`${tally.passed} passed, ${tally.failed} failed`);
	process.exitCode = tally.failed === 0 ? 0 : 1;
}

await main();
