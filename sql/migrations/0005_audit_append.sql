-- Appending to the audit log in one statement: the chain head is locked, each row's hash computed
-- from the previous one, the rows inserted, the head moved and the batch's last-use marks set,
-- all on the server. A group commit then costs one round trip, and the head's lock is held only
-- for the server's own work, never while the vault's event loop is busy.
--
-- Each entry is {"row": {...columns...}, "content": "<canonical JSON of the columns>"}; the hash
-- is SHA-256 of "<previous hash in hex>\n<id>\n<content>" (domain/audit-chain.ts verifies it).

CREATE FUNCTION audit_append(entries jsonb, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	entry jsonb;
	next_hash bytea;
BEGIN
	SELECT last_id, last_hash INTO head_id, head_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
		head_id := head_id + 1;
		next_hash := sha256(convert_to(
			encode(head_hash, 'hex') || E'\n' || head_id::text || E'\n' || (entry ->> 'content'), 'UTF8'));
		INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
			service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
			details, prev_hash, hash)
		SELECT head_id, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action, r.client_id,
			r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms, r.workflow_id,
			r.execution_id, r.details, head_hash, next_hash
		FROM jsonb_to_record(entry -> 'row') AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
		head_hash := next_hash;
	END LOOP;
	UPDATE audit_chain_head SET last_id = head_id, last_hash = head_hash WHERE id = 1;

	-- last-use marks: a row held by a refresh or a rewrap is skipped, never waited for
	UPDATE connections k SET last_used_at = now()
	FROM (SELECT c.client_id, c.service FROM connections c
		JOIN jsonb_to_recordset(used_connections) AS u(client_id text, service text)
		  ON c.client_id = u.client_id AND c.service = u.service
		FOR UPDATE OF c SKIP LOCKED) AS l
	WHERE k.client_id = l.client_id AND k.service = l.service;
	UPDATE api_tokens SET last_used_at = now() WHERE id = ANY (used_tokens);
	RETURN head_id;
END;
$$;
