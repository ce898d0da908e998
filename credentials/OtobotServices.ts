import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** The value of the Service option that reveals the free-text "Other Service" field. */
export const OTHER_SERVICE = 'other';

const COMMON_SERVICES: Array<[value: string, name: string]> = [
	['google', 'Google'],
	['microsoft', 'Microsoft'],
	['slack', 'Slack'],
	['hubspot', 'HubSpot'],
	['salesforce', 'Salesforce'],
	['notion', 'Notion'],
	['github', 'GitHub'],
	['airtable', 'Airtable'],
	['dropbox', 'Dropbox'],
	['zoom', 'Zoom'],
	['pipedrive', 'Pipedrive'],
	['xero', 'Xero'],
	['quickbooks', 'QuickBooks'],
	['linkedin', 'LinkedIn'],
	['calendly', 'Calendly'],
	['zoho', 'Zoho'],
	['openai', 'OpenAI'],
	['stripe', 'Stripe'],
	['sendgrid', 'SendGrid'],
	['mailchimp', 'Mailchimp'],
	['brevo', 'Brevo'],
];

const serviceOptions: INodePropertyOptions[] = [
	...COMMON_SERVICES.map(([value, name]) => ({ name, value })).sort((a, b) =>
		a.name.localeCompare(b.name),
	),
	{ name: 'Other', value: OTHER_SERVICE },
];

/**
 * The connection fields both credential types share: where the vault is, the token n8n presents,
 * and which client's connection to which service the credential stands for.
 */
export const vaultConnectionProperties: INodeProperties[] = [
	{
		displayName: 'Vault URL',
		name: 'vaultUrl',
		type: 'string',
		default: 'http://api-internal:3001',
		placeholder: 'http://api-internal:3001',
		description: 'Base URL of the Otobot Vault API as n8n reaches it',
		required: true,
	},
	{
		displayName: 'Internal Token',
		name: 'internalToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description: 'The vault token with the read scope (INTERNAL_API_TOKEN of the vault)',
		required: true,
	},
	{
		displayName: 'Client ID',
		name: 'clientId',
		type: 'string',
		default: '',
		placeholder: 'acme-corp',
		description: 'The agency client whose connection to use, as registered in the vault',
		required: true,
	},
	{
		displayName: 'Service',
		name: 'service',
		type: 'options',
		options: serviceOptions,
		default: 'google',
		description: 'The service the client connected in the vault',
	},
	{
		displayName: 'Other Service',
		name: 'otherService',
		type: 'string',
		default: '',
		placeholder: 'my-crm',
		description: 'Name of the service as registered in the vault',
		displayOptions: { show: { service: [OTHER_SERVICE] } },
	},
];

/** n8n expression that resolves the effective service name of a credential. */
export const SERVICE_EXPRESSION = `$credentials.service === '${OTHER_SERVICE}' ? $credentials.otherService : $credentials.service`;
