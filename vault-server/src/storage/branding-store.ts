import type { Queryable } from './database.js';

/** The branding row without the logo's bytes: what every connect page reads. */
export interface BrandingRow {
	agency_name: string | null;
	accent_color: string | null;
	logo_content_type: string | null;
	logo_bytes: number | null;
	logo_sha256: string | null;
	updated_at: string;
}

export interface StoredLogo {
	logo: Uint8Array;
	logo_content_type: string;
	logo_sha256: string;
}

const COLUMNS = `agency_name, accent_color, logo_content_type, octet_length(logo) AS logo_bytes,
	logo_sha256, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

/** The one row of `branding` (sql/migrations/0017), created by the first write. */
export function brandingStore(db: Queryable) {
	return {
		async read(): Promise<BrandingRow | undefined> {
			const rows = await db.query<BrandingRow>(`SELECT ${COLUMNS} FROM branding`);
			return rows[0];
		},

		async readLogo(): Promise<StoredLogo | undefined> {
			const rows = await db.query<StoredLogo>(
				'SELECT logo, logo_content_type, logo_sha256 FROM branding WHERE logo IS NOT NULL',
			);
			return rows[0];
		},

		async saveText(agencyName: string | null, accentColor: string | null): Promise<BrandingRow> {
			const rows = await db.query<BrandingRow>(
				`INSERT INTO branding (agency_name, accent_color) VALUES ($1, $2)
				 ON CONFLICT (singleton) DO UPDATE
				 SET agency_name = excluded.agency_name, accent_color = excluded.accent_color, updated_at = now()
				 RETURNING ${COLUMNS}`,
				[agencyName, accentColor],
			);
			return rows[0]!;
		},

		/** Replaces the logo; `logo` null removes it. */
		async saveLogo(logo: StoredLogo | null): Promise<BrandingRow> {
			const rows = await db.query<BrandingRow>(
				`INSERT INTO branding (logo, logo_content_type, logo_sha256) VALUES ($1, $2, $3)
				 ON CONFLICT (singleton) DO UPDATE
				 SET logo = excluded.logo, logo_content_type = excluded.logo_content_type,
					logo_sha256 = excluded.logo_sha256, updated_at = now()
				 RETURNING ${COLUMNS}`,
				[logo?.logo ?? null, logo?.logo_content_type ?? null, logo?.logo_sha256 ?? null],
			);
			return rows[0]!;
		},
	};
}
