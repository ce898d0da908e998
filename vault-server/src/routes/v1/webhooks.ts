import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { WEBHOOK_EVENTS } from '../../domain/webhooks/webhook-events.js';
import {
	type UrlRules,
	createWebhook,
	deleteWebhook,
	getWebhook,
	listDeliveries,
	listWebhooks,
} from '../../domain/webhooks/webhook-subscriptions.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { NEW_WEBHOOK, WEBHOOK, WEBHOOK_DELIVERY } from '../examples.js';
import { NullableString, NullableTimestamp, Timestamp, documented } from '../schemas.js';

const EventName = Type.Union(WEBHOOK_EVENTS.map((event) => Type.Literal(event)));

const Webhook = Type.Object({
	id: Type.String(),
	url: Type.String(),
	events: Type.Array(Type.String()),
	refresh_failures: Type.Integer(),
	origin: Type.String(),
	has_secret: Type.Boolean(),
	created_at: Timestamp,
});

const Attempt = Type.Object({
	attempted_at: Timestamp,
	http_status: Type.Union([Type.Integer(), Type.Null()]),
	error_class: NullableString,
	duration_ms: Type.Integer(),
	excerpt: NullableString,
});

const Delivery = Type.Object({
	id: Type.Integer(),
	delivery_id: Type.String(),
	event: Type.String(),
	status: Type.String(),
	attempts: Type.Integer(),
	next_attempt_at: NullableTimestamp,
	created_at: Timestamp,
	finished_at: NullableTimestamp,
	attempt_log: Type.Array(Attempt),
});

const IdParams = Type.Object(
	{ id: Type.String({ format: 'uuid' }) },
	{ additionalProperties: false },
);

/** /v1/webhooks: subscriptions to vault events (domain/webhooks), admin only. */
const webhooks: FastifyPluginAsyncTypebox<UrlRules> = async (fastify, options) => {
	fastify.post(
		'/webhooks',
		{
			config: { scope: 'admin', action: 'webhook.create', writes: true },
			schema: {
				tags: ['webhooks'],
				operationId: 'createWebhook',
				summary: 'Subscribe a URL to vault events',
				description:
					'Each event is POSTed as JSON to `url`, signed: `X-Otobot-Signature: sha256=<hex>` is the ' +
					'HMAC-SHA-256 of `<X-Otobot-Timestamp>.<body>` under `secret`. The secret is stored ' +
					'encrypted and never answered. `refresh_failures`: `connection.refresh_failing` fires ' +
					'when a connection fails this many refreshes in a row (default 3). Failed deliveries ' +
					'are retried with exponential backoff for 24 hours.',
				body: documented(
					Type.Object(
						{
							url: Type.String({ minLength: 1, maxLength: 2048 }),
							events: Type.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS.length }),
							secret: Type.String({ minLength: 16, maxLength: 512 }),
							refresh_failures: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
						},
						{ additionalProperties: false },
					),
					'The subscription',
					NEW_WEBHOOK,
				),
				response: {
					201: documented(Webhook, 'Subscribed', WEBHOOK),
					...errorResponses(BODY_ERRORS),
				},
			},
		},
		async (request, reply) => {
			const created = await createWebhook(request.db, fastify.keyring, request.body, options);
			request.auditNote = { details: { webhook_id: created.id, events: created.events } };
			return reply.code(201).send(created);
		},
	);

	fastify.get(
		'/webhooks',
		{
			config: { scope: 'admin', action: 'webhook.list' },
			schema: {
				tags: ['webhooks'],
				operationId: 'listWebhooks',
				summary: 'List webhook subscriptions',
				description:
					'Every subscription, oldest first; `origin` `alert_webhook_url` is the one ALERT_WEBHOOK_URL keeps.',
				response: {
					200: documented(Type.Object({ webhooks: Type.Array(Webhook) }), 'The subscriptions', {
						webhooks: [WEBHOOK],
					}),
					...errorResponses([]),
				},
			},
		},
		async () => ({ webhooks: await listWebhooks(fastify.db) }),
	);

	fastify.get(
		'/webhooks/:id',
		{
			config: { scope: 'admin', action: 'webhook.get' },
			schema: {
				tags: ['webhooks'],
				operationId: 'getWebhook',
				summary: 'Get a webhook subscription',
				description: 'One subscription, without its secret.',
				params: IdParams,
				response: {
					200: documented(Webhook, 'The subscription', WEBHOOK),
					...errorResponses(['WEBHOOK_NOT_FOUND']),
				},
			},
		},
		async (request) => getWebhook(fastify.db, request.params.id),
	);

	fastify.delete(
		'/webhooks/:id',
		{
			config: { scope: 'admin', action: 'webhook.delete', writes: true },
			schema: {
				tags: ['webhooks'],
				operationId: 'deleteWebhook',
				summary: 'Delete a webhook subscription',
				description: 'No further event is sent; its queued deliveries and their log go with it.',
				params: IdParams,
				response: {
					204: documented(Type.Null(), 'Deleted'),
					...errorResponses([...BODY_ERRORS, 'WEBHOOK_NOT_FOUND']),
				},
			},
		},
		async (request, reply) => {
			await deleteWebhook(request.db, request.params.id);
			request.auditNote = { details: { webhook_id: request.params.id } };
			return reply.code(204).send(null);
		},
	);

	fastify.get(
		'/webhooks/:id/deliveries',
		{
			config: { scope: 'admin', action: 'webhook.deliveries' },
			schema: {
				tags: ['webhooks'],
				operationId: 'listWebhookDeliveries',
				summary: 'List the deliveries of a subscription',
				description:
					'Newest first, each with its attempts (status or error class, duration, at most a short ' +
					'sanitized excerpt of a failed answer). Pass `next_before` as `before` for the next page.',
				params: IdParams,
				querystring: Type.Object(
					{
						before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
						limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
					},
					{ additionalProperties: false },
				),
				response: {
					200: documented(
						Type.Object({
							deliveries: Type.Array(Delivery),
							next_before: Type.Union([Type.Integer(), Type.Null()]),
						}),
						'One page of the delivery log',
						{ deliveries: [WEBHOOK_DELIVERY], next_before: null },
					),
					...errorResponses(['WEBHOOK_NOT_FOUND']),
				},
			},
		},
		async (request) =>
			listDeliveries(fastify.db, request.params.id, request.query.before, request.query.limit),
	);
};

export default webhooks;
