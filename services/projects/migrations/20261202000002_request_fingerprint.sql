-- A request_id replays its first response only to the same caller for the same request: the
-- SHA-256 of the caller's subject and the request's encoding (NULL for keys recorded before).
ALTER TABLE projects.idempotency ADD COLUMN fingerprint bytea;
