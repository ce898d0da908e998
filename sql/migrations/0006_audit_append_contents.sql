-- Audit rows travel once. `contents` is a JSON array of strings, each the canonical JSON text of
-- a row's content: the text is what gets hashed, and the row's columns are read from it. 0005's
-- entries carried every row twice ({"row": ..., "content": ...}); this halves the bytes of a
-- group commit and spares the vault one JSON encoding per row. 0005's function stays for vaults
-- of the previous version still running during an upgrade.
--
-- The hash is unchanged: SHA-256 of "<previous hash in hex>\n<id>\n<content>".

CREATE FUNCTION audit_append_contents(contents json, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	first_id bigint;
	content text;
	texts text[];
	hashes bytea[];
BEGIN
	texts := ARRAY(SELECT e.value FROM json_array_elements_text(contents) WITH ORDINALITY AS e(value, n) ORDER BY e.n);
	SELECT last_id, last_hash INTO head_id, head_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	first_id := head_id + 1;
	hashes := ARRAY[head_hash];
	FOREACH content IN ARRAY texts LOOP
		head_id := head_id + 1;
		head_hash := sha256(convert_to(encode(head_hash, 'hex') || E'\n' || head_id::text || E'\n' || content, 'UTF8'));
		hashes := hashes || head_hash;
	END LOOP;
	INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
		service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
		details, prev_hash, hash)
	SELECT first_id + e.n - 1, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action,
		r.client_id, r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms,
		r.workflow_id, r.execution_id, r.details, hashes[e.n], hashes[e.n + 1]
	FROM unnest(texts) WITH ORDINALITY AS e(content, n),
		jsonb_to_record(e.content::jsonb) AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
	UPDATE audit_chain_head SET last_id = head_id, last_hash = head_hash WHERE id = 1;

	-- last-use marks: a row held by a refresh or a rewrap is skipped, never waited for
	IF jsonb_array_length(used_connections) > 0 THEN
		UPDATE connections k SET last_used_at = now()
		FROM (SELECT c.client_id, c.service FROM connections c
			JOIN jsonb_to_recordset(used_connections) AS u(client_id text, service text)
			  ON c.client_id = u.client_id AND c.service = u.service
			FOR UPDATE OF c SKIP LOCKED) AS l
		WHERE k.client_id = l.client_id AND k.service = l.service;
	END IF;
	IF cardinality(used_tokens) > 0 THEN
		UPDATE api_tokens SET last_used_at = now() WHERE id = ANY (used_tokens);
	END IF;
	RETURN head_id;
END;
$$;
