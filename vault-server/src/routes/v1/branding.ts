import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import {
	LOGO_MAX_BYTES,
	LOGO_TYPES,
	readBranding,
	removeLogo,
	replaceLogo,
	updateBranding,
} from '../../domain/branding.js';
import { VaultError } from '../../errors.js';
import { BODY_ERRORS, errorResponses } from '../error-responses.js';
import { BRANDING } from '../examples.js';
import { DisplayName, NullableString, documented } from '../schemas.js';

const Branding = Type.Object({
	agency_name: NullableString,
	accent_color: NullableString,
	logo: Type.Union([
		Type.Object({
			content_type: Type.String(),
			bytes: Type.Integer(),
			sha256: Type.String(),
			url: Type.String({ description: 'Where the connect pages load it from (public)' }),
		}),
		Type.Null(),
	]),
	updated_at: Type.Union([Type.String(), Type.Null()]),
});
const answer = (description: string) =>
	documented(Branding, description, BRANDING) as unknown as typeof Branding;

const admin = (action: string, writes = false) => ({ scope: 'admin' as const, action, writes });

/**
 * The agency's branding of the pages its clients see (issue 15 §7): GET and PUT /v1/branding
 * for the name and accent colour, PUT and DELETE /v1/branding/logo for the logo (the raw image as
 * the body). Admin only, each change audited.
 */
const branding: FastifyPluginAsyncTypebox = async (fastify) => {
	// a logo is the raw image: these types only, as bytes, up to the logo's own limit
	fastify.addContentTypeParser(
		[...LOGO_TYPES],
		{ parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES },
		(_request, body, done) => done(null, body),
	);

	fastify.get(
		'/branding',
		{
			config: admin('branding.read'),
			schema: {
				tags: ['branding'],
				operationId: 'getBranding',
				summary: 'Read the branding of the connect pages',
				description:
					'The agency name, accent colour and logo the connect, success, expired and error pages ' +
					'show; nulls where nothing is set (the pages are then unbranded).',
				response: { 200: answer('The branding'), ...errorResponses([]) },
			},
		},
		async () => readBranding(fastify.db),
	);

	fastify.put(
		'/branding',
		{
			config: admin('branding.update', true),
			schema: {
				tags: ['branding'],
				operationId: 'setBranding',
				summary: 'Set the agency name and accent colour',
				description:
					'Replaces both: null clears one. The colour is `#rrggbb` (stored lower-case). Both are ' +
					'shown on pages clients see, escaped; the logo is set with `PUT /v1/branding/logo`.',
				body: documented(
					Type.Object(
						{
							agency_name: Type.Union([
								DisplayName(
									100,
									'Shown in the header of each page; one line of visible text (no control, ' +
										'format or line-separator characters, not blank, no spaces at either end)',
								),
								Type.Null(),
							]),
							accent_color: Type.Union([
								Type.String({ pattern: '^#[0-9A-Fa-f]{6}$', examples: ['#0f766e'] }),
								Type.Null(),
							]),
						},
						{ additionalProperties: false },
					),
					'The name and colour',
					{ agency_name: BRANDING.agency_name, accent_color: BRANDING.accent_color },
				),
				response: { 200: answer('The branding, saved'), ...errorResponses(BODY_ERRORS) },
			},
		},
		async (request) => {
			const { agency_name: name, accent_color: color } = request.body;
			request.auditNote = { details: { agency_name: name, accent_color: color } };
			return updateBranding(request.db, name, color);
		},
	);

	fastify.put(
		'/branding/logo',
		{
			config: admin('branding.logo.replace', true),
			bodyLimit: LOGO_MAX_BYTES,
			schema: {
				tags: ['branding'],
				operationId: 'setBrandingLogo',
				summary: 'Upload the logo',
				description:
					`The logo as the raw body: PNG, JPEG or WebP, at most ${LOGO_MAX_BYTES / 1024} KiB, its ` +
					'`Content-Type` the image type its bytes are (checked by their magic numbers). SVG is ' +
					'refused: it can carry script. Served to clients from `/branding/logo`.',
				response: {
					200: answer('The branding with its new logo'),
					...errorResponses([...BODY_ERRORS, 'LOGO_NOT_ACCEPTED']),
				},
			},
		},
		async (request) => {
			if (!Buffer.isBuffer(request.body))
				throw new VaultError(
					'UNSUPPORTED_MEDIA_TYPE',
					`A logo's Content-Type is one of ${LOGO_TYPES.join(', ')}`,
				);
			const declared = String(request.headers['content-type']).split(';')[0]!.trim().toLowerCase();
			const saved = await replaceLogo(request.db, request.body, declared);
			request.auditNote = {
				details: {
					content_type: saved.logo!.content_type,
					bytes: saved.logo!.bytes,
					sha256: saved.logo!.sha256,
				},
			};
			return saved;
		},
	);

	fastify.delete(
		'/branding/logo',
		{
			config: admin('branding.logo.delete', true),
			schema: {
				tags: ['branding'],
				operationId: 'deleteBrandingLogo',
				summary: 'Remove the logo',
				description: 'The pages show the agency name alone, or nothing, from now on.',
				response: { 200: answer('The branding without a logo'), ...errorResponses(BODY_ERRORS) },
			},
		},
		async (request) => removeLogo(request.db),
	);
};

export default branding;
