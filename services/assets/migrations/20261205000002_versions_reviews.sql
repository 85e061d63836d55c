-- Versions of components, their staged review rounds, and each component's retakes.
ALTER TABLE assets.asset
    ADD COLUMN retakes integer NOT NULL DEFAULT 0,
    ADD COLUMN latest_version integer NOT NULL DEFAULT 0,
    ADD COLUMN review_open boolean NOT NULL DEFAULT false;

CREATE TABLE assets.version (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,
    asset_id       uuid NOT NULL REFERENCES assets.asset (id),
    number         integer NOT NULL,
    -- [{"uri", "sha256", "size_bytes", "mime_type", "media": {…}}]
    files          jsonb NOT NULL,
    note           text NOT NULL DEFAULT '',
    author_id      uuid,
    client_visible boolean NOT NULL DEFAULT false,
    reviewed       boolean NOT NULL DEFAULT false,
    create_time    timestamptz NOT NULL,
    CONSTRAINT version_number_key UNIQUE (asset_id, number)
);

-- One round per version that went to a staged review; the stages and their decisions as one
-- document (a round is read and written whole, under its asset's lock).
CREATE TABLE assets.review (
    version_id    uuid PRIMARY KEY REFERENCES assets.version (id),
    project_id    uuid NOT NULL,
    asset_id      uuid NOT NULL,
    round         jsonb NOT NULL,
    state         text NOT NULL,
    create_time   timestamptz NOT NULL,
    close_time    timestamptz
);

CREATE INDEX review_open_idx ON assets.review (project_id) WHERE state = 'REVIEW_STATE_OPEN';
