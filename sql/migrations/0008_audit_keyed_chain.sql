-- A keyed audit chain (issue 13, item 5). Until now each row's hash was SHA-256 of
-- "<previous hash hex>\n<id>\n<content>", computed here in SQL: anyone able to run SQL could edit
-- a row and recompute every hash after it. From this migration on the vault computes each hash
-- itself, as HMAC-SHA-256 under a key derived (HKDF) from a data key, which only the master key
-- opens (domain/audit-chain.ts). The key never reaches the database: the statement below carries
-- the hashes, never the key.
--
-- * chain_key_version: the data key version whose derived key made the row's HMAC; NULL for the
--   SHA-256 rows written before this migration, which keep verifying as they are.
-- * audit_chain_head.keyed_from: the first id that must be keyed. A SHA-256 row at or after it is
--   a forgery. A fresh database starts keyed at row 1.
-- * UPDATE, DELETE and TRUNCATE on audit_log are refused by triggers; the only way to remove rows
--   is audit_remove_before(), which leaves a checkpoint the verifier starts from. The head never
--   moves back. (A superuser can disable triggers: the HMAC, and a head exported elsewhere, are
--   what catch that. docs/RELIABILITY.md says what the chain proves.)

ALTER TABLE audit_log ADD COLUMN chain_key_version integer;
ALTER TABLE audit_chain_head ADD COLUMN keyed_from bigint;
UPDATE audit_chain_head SET keyed_from = last_id + 1 WHERE id = 1;
ALTER TABLE audit_chain_head ALTER COLUMN keyed_from SET NOT NULL;

-- Where retention cut the log: the last removed row's id and hash, so the rows after it verify.
CREATE TABLE audit_checkpoints (
	id bigint PRIMARY KEY,
	hash bytea NOT NULL,
	rows_removed bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'DELETE'
		AND current_setting('otobot.audit_remove', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION '% on % is refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE FUNCTION audit_head_forward_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF NEW.last_id < OLD.last_id OR NEW.keyed_from IS DISTINCT FROM OLD.keyed_from
		OR (NEW.last_id = OLD.last_id AND NEW.last_hash IS DISTINCT FROM OLD.last_hash) THEN
		RAISE EXCEPTION 'the audit chain head only moves forward'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END;
$$;

CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
	FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Appends rows the vault has already chained. The head is locked first; when it is not where the
-- vault believed (another process appended meanwhile, or the vault's own last append rolled
-- back), nothing is written and the current head comes back for the vault to chain again.
-- `hashes` holds one hex HMAC per content; `appended` tells which case happened.
CREATE FUNCTION audit_append_keyed(expected_id bigint, expected_hash text, key_version integer,
	contents json, hashes json, used_connections jsonb, used_tokens uuid[])
RETURNS TABLE (last_id bigint, last_hash text, appended boolean)
LANGUAGE plpgsql
AS $$
DECLARE
	head_id bigint;
	head_hash bytea;
	new_hashes bytea[];
BEGIN
	SELECT h.last_id, h.last_hash INTO head_id, head_hash FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
	IF head_id <> expected_id OR encode(head_hash, 'hex') <> expected_hash THEN
		RETURN QUERY SELECT head_id, encode(head_hash, 'hex'), false;
		RETURN;
	END IF;
	new_hashes := ARRAY[head_hash] || ARRAY(SELECT decode(e.value, 'hex')
		FROM json_array_elements_text(hashes) WITH ORDINALITY AS e(value, n) ORDER BY e.n);
	INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
		service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
		details, prev_hash, hash, chain_key_version)
	SELECT head_id + e.n, r.occurred_at, r.request_id, r.actor_id, r.actor_name, r.action,
		r.client_id, r.service, r.status_code, r.error_code, r.ip, r.user_agent, r.duration_ms,
		r.workflow_id, r.execution_id, r.details, new_hashes[e.n], new_hashes[e.n + 1], key_version
	FROM json_array_elements_text(contents) WITH ORDINALITY AS e(content, n),
		jsonb_to_record(e.content::jsonb) AS r(occurred_at timestamptz, request_id text,
			actor_id text, actor_name text, action text, client_id text, service text,
			status_code integer, error_code text, ip text, user_agent text,
			duration_ms double precision, workflow_id text, execution_id text, details jsonb);
	head_id := head_id + cardinality(new_hashes) - 1;
	head_hash := new_hashes[cardinality(new_hashes)];
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
	RETURN QUERY SELECT head_id, encode(head_hash, 'hex'), true;
END;
$$;

-- The SQL-hashed appenders of 0005 and 0006 would write unkeyed rows: a vault of a previous
-- version still running during the upgrade now fails closed (503) instead.
CREATE OR REPLACE FUNCTION audit_append(entries jsonb, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'audit_append is retired by migration 0008 (keyed audit chain): upgrade this vault';
END;
$$;
CREATE OR REPLACE FUNCTION audit_append_contents(contents json, used_connections jsonb, used_tokens uuid[])
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
	RAISE EXCEPTION 'audit_append_contents is retired by migration 0008 (keyed audit chain): upgrade this vault';
END;
$$;

-- Retention's one way to delete: every row before `before_id` goes, and a checkpoint keeps the
-- id and hash of the last one removed, so the chain after it still verifies. Not SECURITY
-- DEFINER: it runs with the caller's rights. The setting lets the trigger through for this
-- transaction only.
CREATE FUNCTION audit_remove_before(before_id bigint) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	cut_id bigint;
	cut_hash bytea;
	removed bigint;
BEGIN
	SELECT a.id, a.hash INTO cut_id, cut_hash FROM audit_log a WHERE a.id < before_id
		ORDER BY a.id DESC LIMIT 1;
	IF cut_id IS NULL THEN
		RETURN 0;
	END IF;
	PERFORM set_config('otobot.audit_remove', 'on', true);
	DELETE FROM audit_log WHERE id <= cut_id;
	GET DIAGNOSTICS removed = ROW_COUNT;
	PERFORM set_config('otobot.audit_remove', 'off', true);
	INSERT INTO audit_checkpoints (id, hash, rows_removed) VALUES (cut_id, cut_hash, removed);
	RETURN removed;
END;
$$;
