-- A refresh calls the provider with no transaction open: the right to call it for one connection
-- is a lease in the connection's row, taken with a compare-and-set and released when the answer is
-- stored. A holder that crashes leaves a lease that expires on its own (the token endpoint's
-- timeout plus a margin), so no connection stays locked.
ALTER TABLE connections
	ADD COLUMN refresh_lease_until timestamptz,
	ADD COLUMN refresh_lease_owner text;

-- Taking and giving back a lease changes no fetch's answer: like last_used_at, it announces nothing
-- on otobot_fetch_cache (0007), so a refresh does not empty every process's fetch cache twice.
DROP TRIGGER connections_announce_update ON connections;
CREATE TRIGGER connections_announce_update
	AFTER UPDATE ON connections
	FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'last_used_at' - 'refresh_lease_until' - 'refresh_lease_owner')
		IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at' - 'refresh_lease_until' - 'refresh_lease_owner'))
	EXECUTE FUNCTION announce_connection_change();
