/** Where the connect pages' stylesheet is served (a file of the vault: CSP `style-src 'self'`). */
export const STYLESHEET_PATH = '/branding/page.css';

/**
 * The connect pages' stylesheet, with the agency's accent colour. `accent` is `#rrggbb`, checked
 * by the API schema and the database, so it cannot end the declaration it sits in.
 */
export function pageStylesheet(accent: string): string {
	if (!/^#[0-9a-f]{6}$/.test(accent)) throw new Error('accent colour is not #rrggbb');
	return `:root{--accent:${accent};color-scheme:light}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1.5rem;
background:#f3f4f6;color:#1f2937;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:100%;max-width:30rem;background:#fff;border-radius:14px;border-top:6px solid var(--accent);
box-shadow:0 1px 3px rgb(0 0 0/.08),0 12px 32px rgb(0 0 0/.06);padding:2rem 2rem 1.5rem}
header{display:flex;align-items:center;gap:.75rem;margin-bottom:1.75rem;min-height:2rem}
header img{max-height:48px;max-width:180px;object-fit:contain}
.agency{font-weight:600;font-size:1.05rem;overflow-wrap:anywhere}
.status{display:inline-flex;align-items:center;justify-content:center;width:2.5rem;height:2.5rem;
border-radius:50%;font-size:1.3rem;font-weight:700;margin-bottom:.75rem;color:#fff;background:var(--accent)}
.error .status{background:#b91c1c}
h1{font-size:1.4rem;line-height:1.3;margin:0 0 .5rem;overflow-wrap:anywhere}
p{margin:0 0 1rem;color:#374151;overflow-wrap:anywhere}
footer{margin-top:1.5rem;padding-top:1rem;border-top:1px solid #e5e7eb;font-size:.8rem;color:#6b7280}
@media (max-width:30rem){body{padding:.75rem;align-items:flex-start}main{padding:1.5rem 1.25rem 1rem}}
`;
}
