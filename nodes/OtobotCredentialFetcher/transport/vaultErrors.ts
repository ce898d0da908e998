import { NodeApiError, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';

/** Whose credential a request was about, for messages a workflow builder can act on. */
export interface VaultTarget {
	clientId: string;
	service?: string;
}

interface VaultErrorAnswer {
	statusCode: number;
	body: IDataObject;
}

function what(target: VaultTarget): string {
	return target.service
		? `client "${target.clientId}" and service "${target.service}"`
		: `client "${target.clientId}"`;
}

function headline(code: unknown, statusCode: number, target: VaultTarget): string {
	switch (code) {
		case 'UNAUTHORIZED':
			return 'The vault rejected the Internal Token of the Otobot Database Credential';
		case 'FORBIDDEN':
			return 'The Internal Token may not do this: use the vault token with the read scope';
		case 'CLIENT_NOT_FOUND':
			return `The vault has no client "${target.clientId}"`;
		case 'SERVICE_NOT_FOUND':
			return `The vault does not know the service "${target.service ?? ''}": check its name`;
		case 'CONNECTION_NOT_FOUND':
			return `Client "${target.clientId}" has not connected ${target.service ?? 'this service'} in the vault`;
		case 'CONNECTION_NEEDS_REAUTH':
			return `The client must reconnect: ${target.service ?? 'the service'} access for client "${target.clientId}" has expired or was revoked`;
		case 'RATE_LIMITED':
			return 'The vault is rate limiting this workflow: retry in a moment';
		case 'REFRESH_FAILED':
			return `The vault could not refresh the token for ${what(target)}: retry in a moment`;
		case 'VAULT_DECRYPTION_FAILED':
			return `The vault could not decrypt the credential for ${what(target)}: tell the vault operator`;
		case 'VALIDATION_FAILED':
			return `The vault refused the request for ${what(target)}`;
		default:
			return `The vault answered HTTP ${statusCode} for ${what(target)}`;
	}
}

/**
 * Turns a vault error answer (`{statusCode, code, message}`, plus `reconnect_hint` and
 * `reconnect_url` for CONNECTION_NEEDS_REAUTH) into the error n8n shows on the node.
 */
export function vaultApiError(
	node: INode,
	answer: VaultErrorAnswer,
	target: VaultTarget,
	itemIndex: number,
): NodeApiError {
	const { body, statusCode } = answer;
	const details: string[] = [];
	if (typeof body.reconnect_hint === 'string') details.push(body.reconnect_hint);
	if (typeof body.reconnect_url === 'string') details.push(`Reconnect link: ${body.reconnect_url}`);
	if (typeof body.message === 'string') {
		const code = typeof body.code === 'string' ? ` (${body.code})` : '';
		details.push(`Vault: ${body.message}${code}`);
	}
	const error = new NodeApiError(node, body as JsonObject, {
		message: headline(body.code, statusCode, target),
		description: details.join('\n'),
		httpCode: String(statusCode),
		itemIndex,
	});
	error.context.vaultCode = typeof body.code === 'string' ? body.code : undefined;
	return error;
}

/** The vault could not be reached at all (DNS, refused, timeout, TLS). */
export function vaultUnreachableError(
	node: INode,
	vaultUrl: string,
	cause: unknown,
	itemIndex: number,
): NodeApiError {
	const reason = cause instanceof Error ? cause.message : String(cause);
	const timedOut = /timeout|timed out|aborted/i.test(reason);
	const error = new NodeApiError(node, { message: reason } as JsonObject, {
		message: timedOut
			? `The Otobot Vault at ${vaultUrl} did not answer in time`
			: `Could not reach the Otobot Vault at ${vaultUrl}`,
		description: timedOut
			? `Check that the vault is running and healthy (GET ${vaultUrl}/health). Cause: ${reason}`
			: `Check the Vault URL of the Otobot Database Credential. Cause: ${reason}`,
		itemIndex,
	});
	error.context.vaultCode = timedOut ? 'VAULT_TIMEOUT' : 'VAULT_UNREACHABLE';
	return error;
}

/**
 * A success status without a JSON object: not the vault's answer (a proxy page, a wrong Vault URL
 * pointing at another server). Never passed on as if it were a credential.
 */
export function vaultBadAnswerError(
	node: INode,
	answer: VaultErrorAnswer,
	itemIndex: number,
): NodeApiError {
	const error = new NodeApiError(node, answer.body as JsonObject, {
		message: 'The Otobot Vault answered something that is not a vault answer',
		description: `HTTP ${answer.statusCode} without a JSON object: check that the Vault URL points at the vault and not at a proxy or another server. Answer: ${String(answer.body.message ?? '').slice(0, 200)}`,
		httpCode: String(answer.statusCode),
		itemIndex,
	});
	error.context.vaultCode = 'VAULT_BAD_ANSWER';
	return error;
}
