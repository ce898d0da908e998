import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as credential from './actions/credential/Credential.resource';
import { router } from './actions/router';
import { otobotDatabaseApiTest } from './methods/credentialTest';

export class OtobotCredentialFetcher implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Otobot Credential Fetcher',
		name: 'otobotCredentialFetcher',
		icon: { light: 'file:../../icons/otobot.svg', dark: 'file:../../icons/otobot.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description:
			"Get a client's fresh OAuth2 tokens and API keys from the Otobot Vault. What it outputs stays in n8n's execution data.",
		defaults: {
			name: 'Otobot Credential Fetcher',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'otobotDatabaseApi',
				required: true,
				testedBy: 'otobotDatabaseApiTest',
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Credential',
						value: 'credential',
					},
				],
				default: 'credential',
			},
			...credential.description,
		],
	};

	methods = { credentialTest: { otobotDatabaseApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
