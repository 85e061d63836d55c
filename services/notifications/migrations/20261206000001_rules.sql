-- The rules engine: who is told of what, read from the service's own projections.

-- Projection of components, from every asset event that carries one: whose work it is, who
-- follows it, and whether clients see it. `revision` is the asset's, so the newest wins.
CREATE TABLE notifications.component (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,
    display_name   text NOT NULL,
    client_visible boolean NOT NULL,
    assignees      uuid[] NOT NULL,
    watchers       uuid[] NOT NULL,
    revision       bigint NOT NULL
);

-- Projection of teams and departments, from TeamCreated/TeamUpdated (the newest update wins).
CREATE TABLE notifications.team (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL,
    department   text,
    update_time  timestamptz NOT NULL
);

CREATE INDEX team_department_idx ON notifications.team (department) WHERE department IS NOT NULL;

CREATE TABLE notifications.team_member (
    team_id   uuid NOT NULL REFERENCES notifications.team (id) ON DELETE CASCADE,
    person_id uuid NOT NULL,
    PRIMARY KEY (team_id, person_id)
);

-- The agency's change of a kind's default rule (no row: the default Baton ships).
CREATE TABLE notifications.agency_rule (
    kind        text PRIMARY KEY,
    audiences   jsonb NOT NULL,
    mandatory   boolean NOT NULL,
    update_time timestamptz NOT NULL,
    updater     uuid
);

-- A project's override of the agency's rule of a kind (no row: the agency's rule).
CREATE TABLE notifications.project_rule (
    project_id  uuid NOT NULL,
    kind        text NOT NULL,
    audiences   jsonb NOT NULL,
    update_time timestamptz NOT NULL,
    updater     uuid,
    PRIMARY KEY (project_id, kind)
);
