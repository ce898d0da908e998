import type { INodeProperties } from 'n8n-workflow';

export const clientIdOverride: INodeProperties = {
	displayName: 'Client ID',
	name: 'clientId',
	type: 'string',
	default: '',
	placeholder: 'From the credential',
	description:
		'The client whose connection to use. Leave empty to use the Client ID of the credential; use an expression to serve many clients in a loop.',
};

export const serviceOverride: INodeProperties = {
	displayName: 'Service',
	name: 'service',
	type: 'string',
	default: '',
	placeholder: 'From the credential',
	description:
		'The service name as registered in the vault, e.g. google. Leave empty to use the Service of the credential.',
};

/** Shown on every operation that outputs a secret: n8n keeps node output in execution data. */
export const secretInExecutionDataNotice: INodeProperties = {
	displayName:
		"What this operation outputs (a token, API key or password) is kept in n8n's execution data, visible to anyone who can open the execution. To keep it out, call the API with an HTTP Request node and the Otobot Vault Token (OAuth2) credential instead, or turn off saving of successful executions in the workflow's settings.",
	name: 'secretNotice',
	type: 'notice',
	default: '',
};
