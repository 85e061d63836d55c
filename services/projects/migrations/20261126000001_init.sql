-- The projects service's own schema: projects, their teams, idempotency keys and the outbox.

CREATE TABLE projects.project (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    client       text NOT NULL,
    brief        text NOT NULL DEFAULT '',
    due_date     date,
    state        text NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    -- grows with every change to the project or its team; events carry it
    revision     bigint NOT NULL DEFAULT 1
);

CREATE TABLE projects.member (
    seq         bigserial NOT NULL,
    project_id  uuid NOT NULL REFERENCES projects.project (id),
    person_id   uuid NOT NULL,
    role        text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT member_pkey PRIMARY KEY (project_id, person_id)
);

CREATE INDEX member_project_seq_idx ON projects.member (project_id, seq);

CREATE TABLE projects.idempotency (
    request_id  uuid PRIMARY KEY,
    method      text NOT NULL,
    response    jsonb,
    create_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects.outbox (
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
