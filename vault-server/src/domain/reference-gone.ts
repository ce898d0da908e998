import { VaultError } from '../errors.js';

/**
 * What a foreign-key violation (SQLSTATE 23503) means to a caller, by constraint. It happens when
 * a concurrent request deleted what this one refers to, between the check and the write: a
 * client deleted while its connection is stored, a service deleted while a connection to it is
 * stored, or a service that gained a connection while it was being deleted.
 */
const MEANINGS: Record<string, (detail: 'insert' | 'delete') => VaultError> = {
	connections_client_id_fkey: () =>
		new VaultError('CLIENT_NOT_FOUND', 'The client was deleted while this request ran'),
	connect_links_client_id_fkey: () =>
		new VaultError('CLIENT_NOT_FOUND', 'The client was deleted while this request ran'),
	connections_service_fkey: (action) =>
		action === 'delete'
			? new VaultError('SERVICE_IN_USE', 'The service gained a connection while it was deleted')
			: new VaultError('SERVICE_NOT_FOUND', 'The service was deleted while this request ran'),
	connect_links_service_fkey: (action) =>
		action === 'delete'
			? new VaultError('SERVICE_IN_USE', 'The service gained a connect link while it was deleted')
			: new VaultError('SERVICE_NOT_FOUND', 'The service was deleted while this request ran'),
};

/**
 * The API error for a database error that is a foreign-key violation of a known constraint
 * (postgres.js names it `constraint_name`, PGlite `constraint`), else undefined. `method`: the
 * HTTP method, DELETE meaning the referenced row was the one being removed.
 */
export function referenceGone(error: unknown, method: string): VaultError | undefined {
	const {
		code,
		constraint_name: name,
		constraint,
	} = (error ?? {}) as {
		code?: unknown;
		constraint_name?: unknown;
		constraint?: unknown;
	};
	if (code !== '23503') return undefined;
	const meaning = MEANINGS[String(name ?? constraint ?? '')];
	return meaning?.(method === 'DELETE' ? 'delete' : 'insert');
}
