-- Otobot Vault: connect links can be revoked, and the bootstrap admin token is minted once.

-- A revoked link opens nothing and completes nothing. Why it was revoked: 'revoked' (an admin
-- asked), 'connection_deleted' or 'connection_stored' (its connection was deleted or replaced).
ALTER TABLE connect_links ADD COLUMN revoked_at timestamptz;
ALTER TABLE connect_links ADD COLUMN revoked_reason text;
-- GET /v1/connect-links pages newest first by (created_at, id)
CREATE INDEX connect_links_created ON connect_links (created_at, id);

-- One row once the vault has minted its bootstrap admin token (or found admin tokens already
-- there): a later start with no admin token left mints nothing, so revoking the last admin token
-- is not undone by a restart.
CREATE TABLE vault_bootstrap (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	-- the token minted (its id, never its value); NULL when admin tokens already existed
	admin_token_id uuid,
	created_at timestamptz NOT NULL DEFAULT now()
);
-- a database that already holds an admin token, active or revoked, was bootstrapped already
INSERT INTO vault_bootstrap (admin_token_id)
SELECT NULL WHERE EXISTS (SELECT 1 FROM api_tokens WHERE scope = 'admin');
