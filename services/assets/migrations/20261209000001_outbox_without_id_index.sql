-- The outbox is a queue the relay reads and deletes by `seq`. Event ids are UUIDv7s the service
-- makes, and every consumer drops a repeat by its inbox: a unique index on `id` cost each write
-- one more index entry and guarded nothing.
ALTER TABLE assets.outbox DROP CONSTRAINT outbox_id_key;
