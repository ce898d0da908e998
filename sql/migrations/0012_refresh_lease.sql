-- A refresh calls the provider with no transaction open: the right to call it for one connection
-- is a lease in the connection's row, taken with a compare-and-set and released when the answer is
-- stored. A holder that crashes leaves a lease that expires on its own (the token endpoint's
-- timeout plus a margin), so no connection stays locked.
ALTER TABLE connections
	ADD COLUMN refresh_lease_until timestamptz,
	ADD COLUMN refresh_lease_owner text;
