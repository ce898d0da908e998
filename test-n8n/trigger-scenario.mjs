// The Otobot Vault Trigger under `n8n start` (issue 16 §5): a workflow with the trigger is
// published before the server starts; at start n8n subscribes it to a vault of its own (the
// refresher, and so the webhook worker, running). A connection then goes needs_reauth, and the
// workflow's next node reports the event it was started with to a receiver of this test.
import { createServer } from 'node:http';
import { strict as assert } from 'node:assert';

import { renderFixture } from './lib/fixtures.mjs';
import { startVault } from './lib/vault.mjs';

/** How long the event may take from the vault to the execution on a busy machine. */
const EVENT_BOUND_MS = 120_000;

function startReceiver() {
	const bodies = [];
	const server = createServer((request, response) => {
		let body = '';
		request.on('data', (chunk) => (body += chunk));
		request.on('end', () => {
			bodies.push(body);
			response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	return new Promise((resolve) =>
		server.listen(0, '127.0.0.1', () =>
			resolve({
				url: `http://127.0.0.1:${server.address().port}/report`,
				bodies,
				stop: () => new Promise((done) => server.close(done)),
			}),
		),
	);
}

async function waitFor(what, probe) {
	const deadline = Date.now() + EVENT_BOUND_MS;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${EVENT_BOUND_MS / 1000} s`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/**
 * Before `n8n start`: starts the trigger's vault and the receiver, imports the credential (an
 * admin-scope token: the trigger manages subscriptions) and the workflow, and publishes it.
 * Returns `run(check)` for after the server started, and `stop()`.
 */
export async function prepareTriggerScenario({ n8n, workDir, log }) {
	const stops = [];
	const vault = await startVault({
		workDir,
		log,
		databaseName: 'otobot_n8n_trigger',
		env: { ALLOW_INSECURE_OAUTH_URLS: 'true', REFRESHER_ENABLED: 'true' },
	});
	stops.push(vault.stop);
	const receiver = await startReceiver();
	stops.push(receiver.stop);
	await vault.admin('POST', '/v1/clients', { id: 'acme', name: 'Acme Corp' });
	await vault.admin('POST', '/v1/services', {
		name: 'crm',
		display_name: 'CRM',
		oauth_type: 'oauth2',
		oauth_token_url: 'https://crm.example.com/oauth/token',
	});
	// expired and nothing to renew it with: the next fetch marks it needs_reauth
	await vault.admin('PUT', '/v1/clients/acme/connections/crm', {
		access_token: 'crm-expired-token',
		expires_in: 0,
	});
	const { token: adminToken } = await vault.admin('POST', '/v1/tokens', {
		name: 'n8n trigger',
		scope: 'admin',
	});
	const values = { VAULT_URL: vault.url, ADMIN_TOKEN: adminToken, REPORT_URL: receiver.url };
	await n8n.mustRun([
		'import:credentials',
		`--input=${renderFixture(workDir, 'trigger/credentials.json', values)}`,
	]);
	await n8n.mustRun([
		'import:workflow',
		`--input=${renderFixture(workDir, 'trigger/workflow.json', values)}`,
	]);
	await n8n.mustRun(['publish:workflow', '--id=otobotE2eTrigger']);
	log(`trigger scenario: vault at ${vault.url}, workflow published`);

	return {
		async run(check) {
			await check(
				'Otobot Vault Trigger: an active workflow runs with connection.needs_reauth',
				async () => {
					const subscription = await waitFor('n8n subscribed the trigger', async () => {
						const { webhooks } = await vault.admin('GET', '/v1/webhooks');
						return webhooks.find((w) => w.events.includes('connection.needs_reauth'));
					});
					assert.match(subscription.url, /\/webhook\//);
					assert.equal(subscription.has_secret, true);

					const fetched = await fetch(`${vault.url}/v1/credentials/acme/crm`, {
						headers: { authorization: `Bearer ${vault.internalToken}` },
					});
					assert.equal(fetched.status, 409);

					const body = await waitFor('the execution reported the event', () => receiver.bodies[0]);
					const event = JSON.parse(body);
					assert.equal(event.event, 'connection.needs_reauth');
					assert.equal(event.connection.client_id, 'acme');
					assert.equal(event.connection.service, 'crm');
					assert.equal(event.connection.status, 'needs_reauth');
					assert.ok(!body.includes('crm-expired-token'), 'the event carries a token');

					const { deliveries } = await vault.admin(
						'GET',
						`/v1/webhooks/${subscription.id}/deliveries`,
					);
					assert.equal(deliveries[0].status, 'delivered');
					assert.equal(deliveries[0].delivery_id, event.id);
				},
			);
		},
		async stop() {
			for (const stop of stops.reverse()) await stop();
		},
	};
}
