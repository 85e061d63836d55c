-- Skills, weekly hours and over-allocation on people; teams; time off and allocations.

ALTER TABLE people.person
    ADD COLUMN skills jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN weekly_hours double precision NOT NULL DEFAULT 40,
    -- The Sunday of the last week, from when it was computed on, whose allocations exceed the
    -- person's hours; NULL when none does. The person is over-allocated while it is not past.
    ADD COLUMN over_allocated_until date;

CREATE INDEX person_skills_idx ON people.person USING gin (skills jsonb_path_ops);
CREATE INDEX person_over_allocated_idx ON people.person (over_allocated_until)
    WHERE over_allocated_until IS NOT NULL;

CREATE TABLE people.team (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    kind         text NOT NULL,
    department   text,
    description  text NOT NULL DEFAULT '',
    -- [{"person": "people/…", "role": "TEAM_ROLE_…"}], in the team's order.
    members      jsonb NOT NULL DEFAULT '[]',
    create_time  timestamptz NOT NULL,
    update_time  timestamptz NOT NULL,
    revision     bigint NOT NULL
);

CREATE UNIQUE INDEX team_display_name_key ON people.team (lower(display_name));
CREATE UNIQUE INDEX team_department_key ON people.team (department) WHERE department IS NOT NULL;
CREATE INDEX team_members_idx ON people.team USING gin (members jsonb_path_ops);

CREATE TABLE people.time_off (
    id          uuid PRIMARY KEY,
    person_id   uuid NOT NULL REFERENCES people.person (id),
    start_date  date NOT NULL,
    end_date    date NOT NULL,
    note        text NOT NULL DEFAULT '',
    create_time timestamptz NOT NULL,
    CONSTRAINT time_off_range CHECK (end_date >= start_date)
);

CREATE INDEX time_off_person_idx ON people.time_off (person_id, end_date);

CREATE TABLE people.allocation (
    id             uuid PRIMARY KEY,
    person_id      uuid NOT NULL REFERENCES people.person (id),
    project_id     uuid NOT NULL,
    hours_per_week double precision NOT NULL,
    start_date     date NOT NULL,
    end_date       date NOT NULL,
    note           text NOT NULL DEFAULT '',
    create_time    timestamptz NOT NULL,
    update_time    timestamptz NOT NULL,
    revision       bigint NOT NULL,
    CONSTRAINT allocation_range CHECK (end_date >= start_date),
    CONSTRAINT allocation_hours CHECK (hours_per_week > 0)
);

CREATE INDEX allocation_person_idx ON people.allocation (person_id, end_date);
CREATE INDEX allocation_project_idx ON people.allocation (project_id, id);
