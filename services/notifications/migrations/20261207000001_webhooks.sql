-- Webhooks: endpoints told of a project's events or a person's notifications. Each delivery to
-- make is a row and each attempt another, so that nothing due is forgotten across crashes and
-- restarts and every failure can be looked up.

CREATE TABLE notifications.webhook (
    id                   uuid PRIMARY KEY,
    -- its owner: a project (told of the project's events) or a person (of their notifications)
    project_id           uuid,
    person_id            uuid,
    display_name         text NOT NULL DEFAULT '',
    url                  text NOT NULL,
    -- WEBHOOK_FORMAT_JSON or WEBHOOK_FORMAT_SLACK
    format               text NOT NULL,
    -- the kinds it is told of; empty for all
    kinds                text[] NOT NULL DEFAULT '{}',
    -- WEBHOOK_STATE_ENABLED or WEBHOOK_STATE_DISABLED
    state                text NOT NULL,
    disabled_reason      text NOT NULL DEFAULT '',
    -- The signing secret is not stored: it is derived from the server's key and this salt.
    secret_salt          bytea NOT NULL,
    secret_hint          text NOT NULL,
    -- failed attempts in a row, and when the first of them was
    consecutive_failures integer NOT NULL DEFAULT 0,
    failing_since        timestamptz,
    create_time          timestamptz NOT NULL,
    update_time          timestamptz NOT NULL,
    creator              uuid,
    revision             bigint NOT NULL DEFAULT 1,
    CHECK ((project_id IS NULL) <> (person_id IS NULL))
);

CREATE INDEX webhook_project_idx ON notifications.webhook (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX webhook_person_idx ON notifications.webhook (person_id) WHERE person_id IS NOT NULL;

CREATE TABLE notifications.webhook_delivery (
    -- the Baton-Delivery header: the same on every attempt
    id           uuid PRIMARY KEY,
    -- the listing's order
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    webhook_id   uuid NOT NULL REFERENCES notifications.webhook (id) ON DELETE CASCADE,
    event_id     uuid NOT NULL,
    -- of a person's webhook, whose notification it is
    recipient    uuid,
    kind         text NOT NULL,
    -- the body, exactly as posted on every attempt
    payload      text NOT NULL,
    -- PENDING (waiting for its first or next attempt), SENDING (held by a sender), DELIVERED,
    -- or FAILED once given up
    state        text NOT NULL DEFAULT 'PENDING',
    attempts     integer NOT NULL DEFAULT 0,
    due_time     timestamptz NOT NULL DEFAULT now(),
    -- while SENDING: the sender holds it until then; after it, any sender may take it
    lease_until  timestamptz,
    create_time  timestamptz NOT NULL DEFAULT now(),
    deliver_time timestamptz,
    -- each event once per webhook (and recipient), however often the event is handled
    UNIQUE NULLS NOT DISTINCT (webhook_id, event_id, recipient)
);

-- What is due next, webhook by webhook, for the couriers of every replica; what each holds; and
-- holds that ran out.
CREATE INDEX webhook_delivery_due_idx ON notifications.webhook_delivery (webhook_id, due_time) WHERE state = 'PENDING';
CREATE INDEX webhook_delivery_held_idx ON notifications.webhook_delivery (webhook_id, lease_until)
    WHERE state = 'SENDING';
CREATE INDEX webhook_delivery_lease_idx ON notifications.webhook_delivery (lease_until) WHERE state = 'SENDING';
-- A webhook's deliveries, newest first.
CREATE INDEX webhook_delivery_list_idx ON notifications.webhook_delivery (webhook_id, seq DESC);

CREATE TABLE notifications.webhook_attempt (
    delivery_id   uuid NOT NULL REFERENCES notifications.webhook_delivery (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    start_time    timestamptz NOT NULL,
    latency_ms    integer NOT NULL,
    -- the HTTP status; 0 without an answer
    response_code integer NOT NULL,
    delivered     boolean NOT NULL,
    -- the start of the answer's body, or the error
    detail        text NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
