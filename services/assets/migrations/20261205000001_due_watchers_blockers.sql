-- A component's due date, its watchers, and the components it waits for (finish-to-start).
ALTER TABLE assets.asset
    ADD COLUMN due_date date,
    ADD COLUMN watchers uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN blocked_by uuid[] NOT NULL DEFAULT '{}';
