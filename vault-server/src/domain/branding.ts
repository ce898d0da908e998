import { createHash } from 'node:crypto';
import { VaultError } from '../errors.js';
import type { Queryable } from '../storage/database.js';
import { brandingStore, type BrandingRow } from '../storage/branding-store.js';

/** The largest logo accepted, in bytes (256 KiB); the column's CHECK says the same. */
export const LOGO_MAX_BYTES = 262_144;
/** The image types a logo may be: never SVG, which can carry script. */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];
/** The accent colour of pages whose agency set none. */
export const DEFAULT_ACCENT = '#2563eb';
export const LOGO_PATH = '/branding/logo';

/** The branding as GET /v1/branding answers it. */
export interface Branding {
	agency_name: string | null;
	accent_color: string | null;
	logo: { content_type: string; bytes: number; sha256: string; url: string } | null;
	updated_at: string | null;
}

/** What the connect pages show: the name (or none), a colour always, the logo's URL (or none). */
export interface PageBranding {
	agencyName: string | null;
	accentColor: string;
	logoUrl: string | null;
}

/**
 * The image type `bytes` are, by their magic numbers: PNG (its 8-byte signature, PNG spec §5.2),
 * JPEG (SOI marker FF D8 FF), WebP (a RIFF container of form type `WEBP`); undefined for anything
 * else, SVG and HTML included.
 */
export function logoTypeOf(bytes: Uint8Array): LogoType | undefined {
	const starts = (signature: number[], at = 0) =>
		bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);
	if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
	if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
	if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
	return undefined;
}

/** The logo URL with its version, so a new logo is fetched at once while an unchanged one stays cached. */
const logoUrl = (sha256: string) => `${LOGO_PATH}?v=${sha256.slice(0, 16)}`;

function toBranding(row: BrandingRow | undefined): Branding {
	if (!row) return { agency_name: null, accent_color: null, logo: null, updated_at: null };
	const logo =
		row.logo_sha256 === null
			? null
			: {
					content_type: row.logo_content_type!,
					bytes: Number(row.logo_bytes),
					sha256: row.logo_sha256,
					url: logoUrl(row.logo_sha256),
				};
	return {
		agency_name: row.agency_name,
		accent_color: row.accent_color,
		logo,
		updated_at: row.updated_at,
	};
}

export async function readBranding(db: Queryable): Promise<Branding> {
	return toBranding(await brandingStore(db).read());
}

/** Sets the agency name and accent colour (`#rrggbb`, stored lower-case); null clears either. */
export async function updateBranding(
	db: Queryable,
	agencyName: string | null,
	accentColor: string | null,
): Promise<Branding> {
	return toBranding(
		await brandingStore(db).saveText(agencyName, accentColor?.toLowerCase() ?? null),
	);
}

/**
 * Replaces the logo with `bytes`, declared as `declaredType` (the request's Content-Type).
 * Throws LOGO_NOT_ACCEPTED unless the bytes are that type by their magic numbers.
 */
export async function replaceLogo(
	db: Queryable,
	bytes: Uint8Array,
	declaredType: string,
): Promise<Branding> {
	const actual = logoTypeOf(bytes);
	if (!actual || actual !== declaredType)
		throw new VaultError(
			'LOGO_NOT_ACCEPTED',
			`The logo's bytes are ${actual ? `a ${actual}` : 'not a PNG, JPEG or WebP image'}, and its Content-Type says ${declaredType}`,
		);
	const sha256 = createHash('sha256').update(bytes).digest('hex');
	const row = await brandingStore(db).saveLogo({
		logo: bytes,
		logo_content_type: actual,
		logo_sha256: sha256,
	});
	return toBranding(row);
}

export async function removeLogo(db: Queryable): Promise<Branding> {
	return toBranding(await brandingStore(db).saveLogo(null));
}

/** The logo's bytes and type for GET /branding/logo; throws LOGO_NOT_FOUND when there is none. */
export async function readLogo(db: Queryable) {
	const logo = await brandingStore(db).readLogo();
	if (!logo) throw new VaultError('LOGO_NOT_FOUND', 'No logo was uploaded');
	return {
		bytes: Buffer.from(logo.logo),
		contentType: logo.logo_content_type,
		sha256: logo.logo_sha256,
	};
}

/** The branding of the connect pages. */
export async function pageBranding(db: Queryable): Promise<PageBranding> {
	const branding = toBranding(await brandingStore(db).read());
	return {
		agencyName: branding.agency_name,
		accentColor: branding.accent_color ?? DEFAULT_ACCENT,
		logoUrl: branding.logo?.url ?? null,
	};
}
