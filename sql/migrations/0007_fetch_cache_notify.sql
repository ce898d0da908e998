-- The vault processes keep the connection rows that credential fetches read (ciphertext only,
-- never a decrypted secret) in memory. Every change that can alter a fetch's answer announces
-- itself on the channel otobot_fetch_cache once committed: the payload '<client_id>/<service>'
-- names one connection, '*' means everything. Client ids and service names never contain '/'.
--
-- last_used_at moves with every group commit of the audit log and changes no answer: an update
-- that changes nothing else announces nothing.

CREATE FUNCTION announce_connection_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('otobot_fetch_cache', OLD.client_id || '/' || OLD.service);
		RETURN NULL;
	END IF;
	IF TG_OP = 'UPDATE' AND (OLD.client_id, OLD.service) IS DISTINCT FROM (NEW.client_id, NEW.service) THEN
		PERFORM pg_notify('otobot_fetch_cache', OLD.client_id || '/' || OLD.service);
	END IF;
	PERFORM pg_notify('otobot_fetch_cache', NEW.client_id || '/' || NEW.service);
	RETURN NULL;
END;
$$;

CREATE FUNCTION announce_all_changed() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('otobot_fetch_cache', '*');
	RETURN NULL;
END;
$$;

CREATE TRIGGER connections_announce_write
	AFTER INSERT OR DELETE ON connections
	FOR EACH ROW EXECUTE FUNCTION announce_connection_change();

CREATE TRIGGER connections_announce_update
	AFTER UPDATE ON connections
	FOR EACH ROW
	WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
	EXECUTE FUNCTION announce_connection_change();

-- the fetch reads the client's existence and the service's type; both change rarely
CREATE TRIGGER connections_announce_truncate
	AFTER TRUNCATE ON connections
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();

CREATE TRIGGER clients_announce_change
	AFTER UPDATE OR DELETE OR TRUNCATE ON clients
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();

CREATE TRIGGER services_announce_change
	AFTER UPDATE OR DELETE OR TRUNCATE ON services
	FOR EACH STATEMENT EXECUTE FUNCTION announce_all_changed();
