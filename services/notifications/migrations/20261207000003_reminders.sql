-- Reminders: components and milestones due soon, components overdue. Each is a row planned from
-- the projections (a due date changed, a component done: the unfired ones go) and fired once by
-- the scheduler of one replica, whenever it runs after its time — so none is lost while every
-- replica is down, and none fires twice.

ALTER TABLE notifications.component
    ADD COLUMN due_date date,
    -- approved or delivered
    ADD COLUMN done boolean NOT NULL DEFAULT false;

CREATE TABLE notifications.reminder (
    -- the id its notifications carry as their event's: each person is told once
    id           uuid PRIMARY KEY,
    -- NOTIFICATION_KIND_COMPONENT_DUE_SOON, …_COMPONENT_OVERDUE or …_MILESTONE_DUE_SOON
    kind         text NOT NULL,
    -- the component or milestone, by name
    subject      text NOT NULL,
    project_id   uuid NOT NULL,
    component_id uuid,
    -- its title when planned (a component's current name is read when it fires)
    title        text NOT NULL,
    due_date     date NOT NULL,
    fire_time    timestamptz NOT NULL,
    -- when it fired (or was passed over: a due-soon reminder after the due date)
    fired_time   timestamptz,
    UNIQUE (kind, subject, due_date)
);

CREATE INDEX reminder_due_idx ON notifications.reminder (fire_time) WHERE fired_time IS NULL;
CREATE INDEX reminder_component_idx ON notifications.reminder (component_id) WHERE fired_time IS NULL;
CREATE INDEX reminder_subject_idx ON notifications.reminder (subject) WHERE fired_time IS NULL;
