-- Each person's notification preferences (no row: the defaults).
CREATE TABLE notifications.preferences (
    person_id   uuid PRIMARY KEY,
    -- an IANA time zone name; NULL for UTC
    time_zone   text,
    quiet_start time,
    quiet_end   time,
    digest_time time NOT NULL,
    -- [{"channel": …, "kind": …, "project": …, "cadence": …}]
    choices     jsonb NOT NULL,
    update_time timestamptz NOT NULL,
    revision    bigint NOT NULL,
    CONSTRAINT preferences_quiet_hours_whole CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);
