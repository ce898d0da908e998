import { VaultError, type ErrorCode } from '../errors.js';

/** Whose connection a connect-flow request concerned, once the vault could tell. */
export interface ConnectSubject {
	clientId: string;
	service: string;
}

/**
 * A refusal of the connect flow. It carries the client and service the link or state belonged
 * to, so even a refused request is audited against them.
 */
export class ConnectFlowError extends VaultError {
	constructor(
		code: ErrorCode,
		message: string,
		readonly subject?: ConnectSubject,
	) {
		super(code, message);
		this.name = 'ConnectFlowError';
	}
}
