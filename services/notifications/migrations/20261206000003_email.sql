-- The email channel: each message to send is a row, and each attempt to send it another, so that
-- nothing due is forgotten across crashes and restarts and every failure can be looked up.

-- A notification someone muted in their inbox but wants by email is kept out of the inbox; one
-- that goes out in a digest says which (its cadence and the digest's time), so that a digest is
-- read when it is sent and gathering costs no rewrite of a growing list.
ALTER TABLE notifications.notification
    ADD COLUMN in_inbox boolean NOT NULL DEFAULT true,
    ADD COLUMN digest_cadence text,
    ADD COLUMN digest_time timestamptz;

CREATE INDEX notification_digest_idx ON notifications.notification (recipient, digest_time, digest_cadence)
    WHERE digest_time IS NOT NULL;

CREATE TABLE notifications.email (
    id               uuid PRIMARY KEY,
    recipient        uuid NOT NULL,
    -- CADENCE_INSTANT (one notification) or a digest of those of an hour or a day
    cadence          text NOT NULL,
    -- an instant message's notification; a digest's are those whose digest is this one
    notification_ids uuid[] NOT NULL,
    -- when it may be sent: at once, after quiet hours, or at the digest's time
    due_time         timestamptz NOT NULL,
    -- PENDING (a digest still gathers), SENDING (claimed by a sender, or waiting to be retried),
    -- SENT, or FAILED once given up
    state            text NOT NULL DEFAULT 'PENDING',
    attempts         integer NOT NULL DEFAULT 0,
    -- while SENDING: a sender holds it until then (or it waits for its retry until then); after
    -- it, any sender may take it
    lease_until      timestamptz,
    last_error       text,
    create_time      timestamptz NOT NULL DEFAULT now(),
    sent_time        timestamptz
);

-- What is due next, for the senders of every replica.
CREATE INDEX email_due_idx ON notifications.email (due_time) WHERE state = 'PENDING';
CREATE INDEX email_retry_idx ON notifications.email (lease_until) WHERE state = 'SENDING';
-- One digest per person, cadence and time while it gathers.
CREATE UNIQUE INDEX email_open_digest_key ON notifications.email (recipient, cadence, due_time)
    WHERE state = 'PENDING' AND cadence <> 'CADENCE_INSTANT';

CREATE TABLE notifications.email_attempt (
    email_id    uuid NOT NULL REFERENCES notifications.email (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    start_time  timestamptz NOT NULL,
    latency_ms  integer NOT NULL,
    -- SENT, RETRY (a temporary failure) or FAILED (a permanent one)
    outcome     text NOT NULL,
    -- the server's reply or the error
    detail      text NOT NULL,
    PRIMARY KEY (email_id, attempt)
);
