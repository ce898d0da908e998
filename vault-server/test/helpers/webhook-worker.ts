import { WebhookWorker } from '../../src/domain/webhooks/webhook-worker.js';
import type { TestVault } from './vault-app.js';

/**
 * The delivery worker of a test vault with test-sized waits: a retry 10 ms after a first failure
 * (doubling), a 5 s bound per POST. Not started: a test calls `kick()` for a round, or `start()`.
 * Stop it in `afterEach`/`afterAll`.
 */
export function testWebhookWorker(vault: TestVault, baseDelayMs = 10): WebhookWorker {
	return new WebhookWorker(vault.database.db, vault.vault.keyring, vault.app.log, {
		pollMs: 50,
		baseDelayMs,
		timeoutMs: 5_000,
		privateAddresses: vault.config.providerPrivateAddresses,
	});
}
