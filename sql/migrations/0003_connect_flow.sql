-- Otobot Vault: the connect flow. An operator sends a client a connect link; the client opens it,
-- signs in at the provider, and the provider's callback stores the tokens on the connection.
-- Neither a link token nor an OAuth state is stored: only their SHA-256, so a copy of the
-- database cannot open a link or answer a callback.

CREATE TABLE connect_links (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE,
	client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	service text NOT NULL REFERENCES services (name) ON UPDATE CASCADE ON DELETE CASCADE,
	-- the API token that created the link (its id, never its value)
	created_by text,
	expires_at timestamptz NOT NULL,
	-- set once a connection was completed through the link; the link is refused after that
	completed_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connect_links_client_service ON connect_links (client_id, service);
CREATE INDEX connect_links_expires_at ON connect_links (expires_at);

-- One row per opening of a link: the state sent to the provider (RFC 6749 §10.12), single use.
CREATE TABLE oauth_states (
	state_hash bytea PRIMARY KEY,
	-- the hash as text: how key rotation addresses the row and binds the verifier to it
	state_id text GENERATED ALWAYS AS (encode(state_hash, 'hex')) STORED,
	link_id uuid NOT NULL REFERENCES connect_links (id) ON DELETE CASCADE,
	-- the PKCE code_verifier (RFC 7636 §4.1), encrypted and bound to this state_hash; NULL when
	-- the service does not use PKCE
	code_verifier_ciphertext bytea,
	expires_at timestamptz NOT NULL,
	used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_link ON oauth_states (link_id);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);
