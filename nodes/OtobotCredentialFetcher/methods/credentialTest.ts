import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { oneLine } from '../../../shared/vaultAnswers';
import { readVaultCredential } from '../../../shared/vaultCredential';
import { fetchVaultCredential, VAULT_TIMEOUT_MS, type VaultCall } from '../../../shared/vaultFetch';
import { VaultIdError } from '../../../shared/vaultIds';
import { CREDENTIAL_NAME } from '../transport/vaultErrors';

/**
 * The **Test** of the Otobot Database Credential (`testedBy` of the node): fetches the
 * credential's client and service from the vault, with the node's own checks and messages, so
 * the Test and an execution say the same about the same values (an unreachable vault too).
 */
export async function otobotDatabaseApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let settings;
	try {
		settings = readVaultCredential(credential.data ?? {});
	} catch (error) {
		return { status: 'Error', message: (error as VaultIdError).message };
	}
	// ICredentialTestFunctions offers only the legacy request helper: there is no httpRequest here.
	const call: VaultCall = async ({ method, url, headers }) =>
		// eslint-disable-next-line @n8n/community-nodes/no-deprecated-workflow-functions
		(await this.helpers.request({
			method,
			uri: url,
			headers: { Accept: 'application/json', ...headers },
			json: true,
			simple: false,
			resolveWithFullResponse: true,
			timeout: VAULT_TIMEOUT_MS,
		})) as { statusCode: number; body: unknown };

	const result = await fetchVaultCredential(call, settings, CREDENTIAL_NAME);
	if (!result.ok) return { status: 'Error', message: oneLine(result.problem) };
	const { clientId, service } = result.target;
	return {
		status: 'OK',
		message: `Connection successful: the vault serves the ${service} credential of client "${clientId}"`,
	};
}
