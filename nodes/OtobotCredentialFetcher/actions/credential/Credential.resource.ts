import type { INodeProperties } from 'n8n-workflow';

import * as getAccessToken from './getAccessToken.operation';
import * as getCredentials from './getCredentials.operation';
import * as listConnections from './listConnections.operation';
import * as refreshNow from './refreshNow.operation';

export { getAccessToken, getCredentials, listConnections, refreshNow };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['credential'] } },
		options: [
			{
				name: 'Get Access Token',
				value: 'getAccessToken',
				description: 'Get only the access token and a ready Authorization header value',
				action: 'Get an access token',
			},
			{
				name: 'Get Credentials',
				value: 'getCredentials',
				description: 'Get the full credential of a client for a service',
				action: 'Get credentials',
			},
			{
				name: 'List Connections',
				value: 'listConnections',
				description: 'List the services a client connected, with status and expiry',
				action: 'List connections',
			},
			{
				name: 'Refresh Now',
				value: 'refreshNow',
				description: 'Make the vault refresh the token now and return the fresh credential',
				action: 'Refresh a token now',
			},
		],
		default: 'getCredentials',
	},
	{
		displayName: 'Max Wait on Rate Limit',
		name: 'maxRateLimitWait',
		type: 'number',
		typeOptions: { minValue: 0 },
		displayOptions: { show: { resource: ['credential'] } },
		default: 120,
		description:
			"Seconds the node may wait for one vault request when the vault answers 429 (its token's per-minute budget is spent) with Retry-After; it then carries on. Past this the items fail with RATE_LIMITED.",
	},
	...getAccessToken.description,
	...getCredentials.description,
	...listConnections.description,
	...refreshNow.description,
];
