import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { LOGO_PATH, pageBranding, readLogo } from '../domain/branding.js';
import { errorResponses } from './error-responses.js';
import { STYLESHEET_PATH, pageStylesheet } from './connect/page-style.js';

/** The version a page asked for is the current one: the answer never changes, cache it for long. */
const LONG = 'public, max-age=31536000, immutable';
/** Asked without the current version (an old page, a typo): cached briefly, then asked again. */
const SHORT = 'public, max-age=60';

const Version = Type.Object(
	{ v: Type.Optional(Type.String({ pattern: '^[0-9a-f]{1,64}$' })) },
	{ additionalProperties: false },
);

const cacheFor = (reply: FastifyReply, current: boolean) =>
	reply.header('cache-control', current ? LONG : SHORT);

/**
 * The files the connect pages load from the vault (CSP `'self'`), without a token: the agency's
 * logo and the pages' stylesheet. Neither holds anything secret. Each is versioned by a `v`
 * query parameter the pages set (the logo's hash, the accent colour), so a change shows at once.
 */
const brandingAssets: FastifyPluginAsyncTypebox = async (fastify) => {
	fastify.get(
		LOGO_PATH,
		{
			schema: {
				tags: ['connect'],
				operationId: 'brandingLogo',
				summary: 'The agency logo (public)',
				description:
					'The logo the connect pages show, with its own `Content-Type` (PNG, JPEG or WebP), ' +
					'`X-Content-Type-Options: nosniff`, an `ETag`, and cached for a year when `v` is the ' +
					'current version.',
				security: [],
				querystring: Version,
				response: {
					200: {
						description: 'The image',
						content: Object.fromEntries(
							['image/png', 'image/jpeg', 'image/webp'].map((type) => [
								type,
								{ schema: Type.String({ format: 'binary' }) },
							]),
						),
					},
					304: { description: 'Not modified: the `If-None-Match` ETag is current', type: 'null' },
					...errorResponses(['LOGO_NOT_FOUND', 'VALIDATION_FAILED', 'RATE_LIMITED'], {
						public: true,
					}),
				},
			},
		},
		async (request, reply) => {
			const logo = await readLogo(fastify.db);
			const etag = `"${logo.sha256}"`;
			cacheFor(reply, request.query.v === logo.sha256.slice(0, 16))
				.header('etag', etag)
				.header('cross-origin-resource-policy', 'same-origin');
			if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
			// bytes as they are: the 200 schema is the OpenAPI document's, not a serializer's
			return reply.type(logo.contentType).send(logo.bytes as unknown as string);
		},
	);

	fastify.get(
		STYLESHEET_PATH,
		{
			schema: {
				tags: ['connect'],
				operationId: 'brandingStylesheet',
				summary: 'The connect pages’ stylesheet (public)',
				description: 'The stylesheet of the connect pages, in the agency’s accent colour.',
				security: [],
				querystring: Version,
				response: {
					200: {
						description: 'The stylesheet',
						content: { 'text/css': { schema: Type.String() } },
					},
					...errorResponses(['VALIDATION_FAILED', 'RATE_LIMITED'], { public: true }),
				},
			},
		},
		async (request, reply) => {
			const { accentColor } = await pageBranding(fastify.db);
			cacheFor(reply, request.query.v === accentColor.slice(1));
			return reply.type('text/css; charset=utf-8').send(pageStylesheet(accentColor));
		},
	);
};

export default brandingAssets;
