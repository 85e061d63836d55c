-- Comments on components and their versions.
CREATE TABLE assets.comment (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    asset_id         uuid NOT NULL REFERENCES assets.asset (id),
    version_id       uuid REFERENCES assets.version (id),
    reply_to         uuid REFERENCES assets.comment (id),
    body             text NOT NULL,
    anchor           jsonb,
    client_visible   boolean NOT NULL DEFAULT false,
    author_id        uuid,
    mentioned_people uuid[] NOT NULL DEFAULT '{}',
    mentioned_teams  uuid[] NOT NULL DEFAULT '{}',
    edits            jsonb NOT NULL DEFAULT '[]',
    create_time      timestamptz NOT NULL,
    update_time      timestamptz NOT NULL,
    revision         bigint NOT NULL
);

CREATE INDEX comment_asset_idx ON assets.comment (asset_id, id);
