-- Otobot Vault: the connections of one service in client order (issue 15, the console's Services
-- page). GET /v1/clients?service= pages the clients connected to a service by keyset on the
-- client id: this index hands the rows out in that order, so a page reads its rows and stops,
-- however many connections the service has.
CREATE INDEX connections_service_client ON connections (service, client_id);
-- superseded: (service) is this index's prefix
DROP INDEX connections_service;
