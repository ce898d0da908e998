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
