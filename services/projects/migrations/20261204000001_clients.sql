-- Clients become resources: every project belongs to one. The client name each project held
-- becomes a client of that display name (one per name, ignoring case: the first spelling in
-- sort order), and the project points at it; the name now lives on the client, so nothing is
-- lost when the old column goes.

CREATE TABLE projects.client (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    industry     text NOT NULL DEFAULT '',
    notes        text NOT NULL DEFAULT '',
    -- [{"person": "people/…", "title": "…"}, …]
    contacts     jsonb NOT NULL DEFAULT '[]',
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    revision     bigint NOT NULL DEFAULT 1
);

INSERT INTO projects.client (id, display_name, create_time, update_time)
SELECT gen_random_uuid(), min(client), min(create_time), min(create_time)
FROM projects.project
GROUP BY lower(client);

ALTER TABLE projects.project ADD COLUMN client_id uuid REFERENCES projects.client (id);

UPDATE projects.project p SET client_id = c.id FROM projects.client c
WHERE lower(c.display_name) = lower(p.client);

ALTER TABLE projects.project ALTER COLUMN client_id SET NOT NULL;
ALTER TABLE projects.project DROP COLUMN client;

-- A client's projects.
CREATE INDEX project_client_idx ON projects.project (client_id, id);

-- One client per name (ignoring case): `baton projects create --client "Northwind Coffee"` finds it.
CREATE UNIQUE INDEX client_display_name_key ON projects.client (lower(display_name));
