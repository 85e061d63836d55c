-- The people service's own schema: people, idempotency keys and the event outbox.

CREATE TABLE people.person (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    email        text NOT NULL,
    role         text NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    revision     bigint NOT NULL DEFAULT 1,
    CONSTRAINT person_email_key UNIQUE (email)
);

CREATE INDEX person_role_id_idx ON people.person (role, id);

CREATE TABLE people.idempotency (
    request_id  uuid PRIMARY KEY,
    method      text NOT NULL,
    response    jsonb,
    create_time timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people.outbox (
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
