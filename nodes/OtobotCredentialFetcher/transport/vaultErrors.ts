import { NodeApiError, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';

import {
	describeVaultBadAnswer,
	describeVaultRefusal,
	describeVaultUnreachable,
	type VaultProblem,
} from '../../../shared/vaultAnswers';
import type { VaultTarget } from '../../../shared/vaultIds';

export const CREDENTIAL_NAME = 'Otobot Database Credential';

interface VaultErrorAnswer {
	statusCode: number;
	body: IDataObject;
}

function nodeApiError(
	node: INode,
	problem: VaultProblem,
	response: JsonObject,
	itemIndex: number,
	httpCode?: number,
): NodeApiError {
	const description = [...problem.details];
	if (problem.cause) description.push(`Cause: ${problem.cause}`);
	const error = new NodeApiError(node, response, {
		message: problem.message,
		description: description.join('\n'),
		httpCode: httpCode === undefined ? undefined : String(httpCode),
		itemIndex,
	});
	error.context.vaultCode = problem.code;
	return error;
}

/**
 * Turns a vault error answer (`{statusCode, code, message}`, plus `reconnect_hint` and
 * `reconnect_url` for CONNECTION_NEEDS_REAUTH) into the error n8n shows on the node; the message
 * is the package's one table (shared/vaultAnswers.ts).
 */
export function vaultApiError(
	node: INode,
	answer: VaultErrorAnswer,
	target: VaultTarget,
	itemIndex: number,
): NodeApiError {
	const { body, statusCode } = answer;
	const problem = describeVaultRefusal(statusCode, body, target, CREDENTIAL_NAME);
	return nodeApiError(node, problem, body as JsonObject, itemIndex, statusCode);
}

/** The vault could not be reached at all (DNS, refused, timeout, TLS). */
export function vaultUnreachableError(
	node: INode,
	vaultUrl: string,
	cause: unknown,
	itemIndex: number,
): NodeApiError {
	const problem = describeVaultUnreachable(vaultUrl, cause);
	return nodeApiError(node, problem, { message: problem.cause ?? '' }, itemIndex);
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
	const problem = describeVaultBadAnswer(answer.statusCode, String(answer.body.message ?? ''));
	return nodeApiError(node, problem, answer.body as JsonObject, itemIndex, answer.statusCode);
}
