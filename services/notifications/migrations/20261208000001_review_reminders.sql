-- Reviews waiting longer than their project's threshold. A reminder is planned for each stage of
-- a review round that opens, and for a component entering a one-step review (stage 0, its
-- subject the component); it is dropped when the stage is decided or the component leaves
-- review, and a threshold change moves the unfired ones.

-- In review: a review's reminder stands only while its component is; a one-step review waits
-- from the component's update_time when it entered review.
ALTER TABLE notifications.component
    ADD COLUMN in_review boolean NOT NULL DEFAULT false,
    ADD COLUMN update_time timestamptz;

-- Projection of each project's ComponentSettings.review_reminder_hours, from
-- ComponentSettingsUpdated (the newest update wins); a project without a row has the contract's
-- default.
CREATE TABLE notifications.review_threshold (
    project_id  uuid PRIMARY KEY,
    -- 0: no reminders
    hours       integer NOT NULL,
    update_time timestamptz NOT NULL
);

ALTER TABLE notifications.reminder
    -- a review round's stage, from 0 (0 for every other reminder)
    ADD COLUMN stage integer NOT NULL DEFAULT 0,
    -- when the review's stage opened (its due_date is that day); a threshold change moves
    -- fire_time from it, to 'infinity' for none
    ADD COLUMN opened_time timestamptz,
    -- the stage's reviewers who have not decided yet
    ADD COLUMN reviewers uuid[],
    DROP CONSTRAINT reminder_kind_subject_due_date_key,
    ADD CONSTRAINT reminder_once UNIQUE (kind, subject, due_date, stage);

CREATE INDEX reminder_project_idx ON notifications.reminder (project_id, kind) WHERE fired_time IS NULL;

-- When a review that waits from `opened` is reminded under a threshold of `hours`: never
-- ('infinity') while the project has them off, so that turning them on again moves it.
CREATE FUNCTION notifications.review_fire_time(opened timestamptz, hours integer) RETURNS timestamptz
    LANGUAGE sql STABLE
    AS $$ SELECT CASE WHEN hours > 0 THEN opened + make_interval(hours => hours) ELSE 'infinity' END $$;
