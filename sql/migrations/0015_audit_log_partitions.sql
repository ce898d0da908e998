-- An audit log that does not grow forever (issue 17 §5): audit_log becomes partitioned by month on
-- occurred_at (UTC months), so retention drops whole partitions instead of deleting row by row.
--
-- * Same columns, ids and hashes: every row is moved as it is and the chain is untouched.
-- * The primary key must hold the partition key: it is now (id, occurred_at). Ids stay unique
--   because only audit_append_keyed writes rows, numbered from the locked head.
-- * A partition per month, named audit_log_YYYY_MM, created ahead by the vault
--   (audit_create_partitions, run at start and hourly by `serve`), and audit_log_default, which
--   takes any row whose month has no partition yet, so an insert never fails.
-- * audit_remove_before stays the one way to remove rows: it now drops the past partitions whose
--   rows all go, deletes the rest row by row, and still leaves a checkpoint.
-- * The append-only triggers are on the partitioned table (PostgreSQL clones the row triggers to
--   each partition); a TRUNCATE of one partition does not fire the parent's statement trigger, so
--   each partition gets its own.

-- A row trigger cloned to a partition runs with the partition's name: retention's deletes from a
-- partition are let through too (the setting is checked first, so a refused statement pays
-- nothing more).
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'DELETE' AND current_setting('otobot.audit_remove', true) = 'on'
		AND (TG_TABLE_NAME = 'audit_log' OR EXISTS (SELECT 1 FROM pg_inherits
			WHERE inhrelid = TG_RELID AND inhparent = 'audit_log'::regclass)) THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION '% on % is refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege';
END;
$$;

ALTER TABLE audit_log RENAME TO audit_log_before_0015;
ALTER INDEX audit_log_pkey RENAME TO audit_log_before_0015_pkey;
ALTER INDEX audit_log_client_service RENAME TO audit_log_before_0015_client_service;
ALTER INDEX audit_log_occurred_at RENAME TO audit_log_before_0015_occurred_at;

CREATE TABLE audit_log (
	id bigint NOT NULL,
	occurred_at timestamptz NOT NULL,
	request_id text,
	actor_id text,
	actor_name text,
	action text NOT NULL,
	client_id text,
	service text,
	status_code integer,
	error_code text,
	ip text,
	user_agent text,
	duration_ms double precision,
	workflow_id text,
	execution_id text,
	details jsonb,
	prev_hash bytea NOT NULL,
	hash bytea NOT NULL,
	chain_key_version integer,
	PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Every index of audit_log, in one place: an index on the partitioned table is created on each
-- partition, present and future. (Indexes added to the old table by other migrations go here.)
CREATE INDEX audit_log_client_service ON audit_log (client_id, service, id DESC);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The month partitions from `from_month` (any time in it; UTC months) for `months` months: each
-- created unless it exists. A month whose rows already went to the default partition is skipped
-- (PostgreSQL cannot create it over them); those rows stay there and retention deletes them row by
-- row. Returns how many partitions were created. Several processes may call it at once: the
-- transaction-scoped advisory lock makes them take turns.
CREATE FUNCTION audit_create_partitions(from_month timestamptz, months integer) RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
	first_month timestamp := date_trunc('month', from_month AT TIME ZONE 'UTC');
	low timestamptz;
	high timestamptz;
	name text;
	created integer := 0;
BEGIN
	PERFORM pg_advisory_xact_lock(774211917);
	FOR m IN 0 .. months - 1 LOOP
		low := (first_month + make_interval(months => m)) AT TIME ZONE 'UTC';
		high := (first_month + make_interval(months => m + 1)) AT TIME ZONE 'UTC';
		name := 'audit_log_' || to_char(low AT TIME ZONE 'UTC', 'YYYY_MM');
		CONTINUE WHEN to_regclass(name) IS NOT NULL;
		CONTINUE WHEN EXISTS (SELECT 1 FROM audit_log_default d
			WHERE d.occurred_at >= low AND d.occurred_at < high);
		EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
			name, low, high);
		EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I
			FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()', name);
		created := created + 1;
	END LOOP;
	RETURN created;
END;
$$;

-- a partition for every month the log already holds, then this month and the next two
SELECT audit_create_partitions(month, 1) FROM (
	SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
	FROM audit_log_before_0015
) AS months;
SELECT audit_create_partitions(now(), 3);

INSERT INTO audit_log (id, occurred_at, request_id, actor_id, actor_name, action, client_id,
	service, status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id,
	details, prev_hash, hash, chain_key_version)
SELECT id, occurred_at, request_id, actor_id, actor_name, action, client_id, service,
	status_code, error_code, ip, user_agent, duration_ms, workflow_id, execution_id, details,
	prev_hash, hash, chain_key_version
FROM audit_log_before_0015;
DROP TABLE audit_log_before_0015;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Retention's one way to remove rows, as in 0008: every row before `before_id` goes and a
-- checkpoint keeps the id and hash of the last one removed, so the chain after it still verifies.
-- A past month's partition whose rows all go is dropped whole; the rest are deleted row by row
-- (rows of the default partition, and rows appended a little after their month ended). The head
-- is locked first, so no row is appended meanwhile. With `expected_rows` and `expected_hash` (an
-- archive just written), nothing is removed unless exactly that many rows go and the last one has
-- that hash. Not SECURITY DEFINER: it runs with the caller's rights.
DROP FUNCTION audit_remove_before(bigint);
CREATE FUNCTION audit_remove_before(before_id bigint, expected_rows bigint DEFAULT NULL,
	expected_hash bytea DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
	cut_id bigint;
	cut_hash bytea;
	removed bigint := 0;
	partition_rows bigint;
	deleted bigint;
	part record;
BEGIN
	PERFORM 1 FROM audit_chain_head WHERE id = 1 FOR UPDATE;
	SELECT a.id, a.hash INTO cut_id, cut_hash FROM audit_log a WHERE a.id < before_id
		ORDER BY a.id DESC LIMIT 1;
	IF cut_id IS NULL THEN
		RETURN 0;
	END IF;
	IF expected_hash IS NOT NULL AND cut_hash <> expected_hash THEN
		RAISE EXCEPTION 'audit row % does not have the archived hash: nothing removed', cut_id
			USING ERRCODE = 'data_exception';
	END IF;
	IF expected_rows IS NOT NULL
		AND (SELECT count(*) FROM audit_log WHERE id <= cut_id) <> expected_rows THEN
		RAISE EXCEPTION 'the audit rows up to % are not the % archived: nothing removed',
			cut_id, expected_rows USING ERRCODE = 'data_exception';
	END IF;
	FOR part IN
		SELECT c.oid::regclass AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass
		  AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz
		      <= now()
	LOOP
		EXECUTE format('SELECT count(*) FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE id > $1)',
			part.name, part.name) INTO partition_rows USING cut_id;
		IF partition_rows > 0 THEN
			EXECUTE format('DROP TABLE %s', part.name);
			removed := removed + partition_rows;
		END IF;
	END LOOP;
	PERFORM set_config('otobot.audit_remove', 'on', true);
	DELETE FROM audit_log WHERE id <= cut_id;
	GET DIAGNOSTICS deleted = ROW_COUNT;
	PERFORM set_config('otobot.audit_remove', 'off', true);
	removed := removed + deleted;
	INSERT INTO audit_checkpoints (id, hash, rows_removed) VALUES (cut_id, cut_hash, removed);
	RETURN removed;
END;
$$;
