import {
	NodeConnectionTypes,
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { RecentDeliveries, verifyDelivery } from '../../shared/webhookDelivery';
import { otobotDatabaseApiTest } from '../OtobotCredentialFetcher/methods/credentialTest';
import { checkExists, create, deleteSubscription, type SubscriptionState } from './subscription';

/** Delivery ids seen by this n8n process (a replay carries one again within the time window). */
const recent = new RecentDeliveries();

export class OtobotVaultTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Otobot Vault Trigger',
		name: 'otobotVaultTrigger',
		icon: { light: 'file:../../icons/otobot.svg', dark: 'file:../../icons/otobot.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description:
			'Starts the workflow when the Otobot Vault reports an event: a connection needs reconnecting, refreshes keep failing, a client connected, an alert opened or resolved, an API token expires soon',
		defaults: {
			name: 'Otobot Vault Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'otobotDatabaseApi',
				required: true,
				testedBy: 'otobotDatabaseApiTest',
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['connection.needs_reauth'],
				description: 'The vault events that start the workflow',
				options: [
					{
						name: 'Alert Opened',
						value: 'alert.opened',
						description: 'An alert rule fired (expired token, failing refreshes, critical errors…)',
					},
					{
						name: 'Alert Resolved',
						value: 'alert.resolved',
						description: "An alert's condition cleared",
					},
					{
						name: 'API Token Expiring',
						value: 'api_token.expiring',
						description: 'An API token of the vault expires within TOKEN_EXPIRY_WARNING_DAYS',
					},
					{
						name: 'Connection Connected',
						value: 'connection.connected',
						description: 'A client connected (or reconnected) an account through a connect link',
					},
					{
						name: 'Connection Needs Reauth',
						value: 'connection.needs_reauth',
						description:
							'The provider revoked a grant: only the client can restore it by reconnecting',
					},
					{
						name: 'Connection Refresh Failing',
						value: 'connection.refresh_failing',
						description: 'A connection failed to refresh this many times in a row (see Options)',
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Refresh Failures',
						name: 'refreshFailures',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1000 },
						default: 3,
						description:
							'Connection Refresh Failing fires when a connection fails this many refreshes in a row',
					},
				],
			},
		],
	};

	methods = { credentialTest: { otobotDatabaseApiTest } };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await deleteSubscription.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		const state = this.getWorkflowStaticData('node') as SubscriptionState;
		const rawBody = (request as { rawBody?: Buffer }).rawBody ?? Buffer.from('');
		const now = Math.floor(Date.now() / 1000);
		const verdict = verifyDelivery(this.getHeaderData(), rawBody, state.webhookSecret ?? '', now);
		if (!state.webhookSecret || !verdict.ok) {
			response.status(401).json({
				code: verdict.ok ? 'NOT_SUBSCRIBED' : verdict.code,
				message: verdict.ok ? 'This trigger holds no subscription secret' : verdict.message,
			});
			return { noWebhookResponse: true };
		}
		// the vault's retry of a delivery n8n already took, or a replay: answered, not run again
		if (!recent.firstSighting(`${state.webhookId}/${verdict.deliveryId}`, now)) {
			response.status(200).json({ status: 'duplicate' });
			return { noWebhookResponse: true };
		}
		return { workflowData: [this.helpers.returnJsonArray(this.getBodyData() as IDataObject)] };
	}
}
