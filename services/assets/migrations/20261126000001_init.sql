-- The assets service's own schema: the media components of projects, idempotency keys and the
-- outbox.

CREATE TABLE assets.asset (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    display_name text NOT NULL,
    description  text NOT NULL DEFAULT '',
    kind         text NOT NULL,
    status       text NOT NULL,
    assignees    uuid[] NOT NULL DEFAULT '{}',
    weight       integer NOT NULL CHECK (weight BETWEEN 1 AND 1000),
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    revision     bigint NOT NULL DEFAULT 1
);

CREATE INDEX asset_project_id_idx ON assets.asset (project_id, id);

CREATE TABLE assets.idempotency (
    request_id  uuid PRIMARY KEY,
    method      text NOT NULL,
    response    jsonb,
    create_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets.outbox (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    event_type  text NOT NULL,
    subject     text NOT NULL,
    payload     bytea NOT NULL,
    traceparent text,
    tracestate  text,
    create_time timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
