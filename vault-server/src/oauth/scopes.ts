/**
 * Scopes (RFC 6749 §3.3): a list of case-sensitive strings. The vault stores a service's scopes
 * space-separated, as §3.3 writes them; providers answer theirs space-separated too, except some
 * (Slack, Zoho, Facebook) that use commas.
 */

/** A space-separated scope list as stored on a service (`oauth_scopes`); empty when none. */
export function parseScopeList(value: string | null | undefined): string[] {
	return (value ?? '').split(/\s+/).filter((scope) => scope.length > 0);
}

/** The `scope` a token endpoint answered (RFC 6749 §5.1), split on spaces or commas. */
export function parseGrantedScope(value: string): string[] {
	return value.split(/[\s,]+/).filter((scope) => scope.length > 0);
}
