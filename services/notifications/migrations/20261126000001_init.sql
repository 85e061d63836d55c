-- The notifications service's own schema: notifications, the projections of other services'
-- data it keeps from their events, and the inbox of events already applied.

CREATE TABLE notifications.notification (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    recipient   uuid NOT NULL,
    kind        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    subject     text NOT NULL,
    project     text NOT NULL DEFAULT '',
    actor       text NOT NULL DEFAULT '',
    event_id    uuid NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    read_time   timestamptz,
    -- one notification per person per event, whatever happens upstream
    CONSTRAINT notification_event_recipient_key UNIQUE (event_id, recipient)
);

CREATE INDEX notification_recipient_seq_idx ON notifications.notification (recipient, seq DESC);
CREATE INDEX notification_unread_idx ON notifications.notification (recipient, seq DESC) WHERE read_time IS NULL;

-- Projection of projects' teams, from ProjectMemberAdded/Removed. `revision` is the project's
-- revision of the newest event applied, so events can arrive in any order.
CREATE TABLE notifications.project_member (
    project_id uuid NOT NULL,
    person_id  uuid NOT NULL,
    role       text NOT NULL,
    active     boolean NOT NULL,
    revision   bigint NOT NULL,
    PRIMARY KEY (project_id, person_id)
);

CREATE INDEX project_member_active_idx ON notifications.project_member (project_id) WHERE active;

-- Projection of project titles, for readable notifications.
CREATE TABLE notifications.project (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    revision     bigint NOT NULL
);

-- Projection of people's names and addresses, for readable notifications and email.
CREATE TABLE notifications.person (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    email        text NOT NULL
);

CREATE TABLE notifications.inbox (
    source       text NOT NULL,
    event_id     uuid NOT NULL,
    receive_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);
