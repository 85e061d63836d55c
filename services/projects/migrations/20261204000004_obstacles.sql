-- Obstacles: the risks and blockers raised against a project or one of its components.
CREATE TABLE projects.obstacle (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL REFERENCES projects.project (id),
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    kind          text NOT NULL,
    severity      text NOT NULL,
    -- 1 (low) to 4 (critical), for ordered filters
    severity_rank smallint NOT NULL,
    component_id  uuid,
    owner_id      uuid,
    raised_by     text NOT NULL,
    state         text NOT NULL,
    resolution    text NOT NULL DEFAULT '',
    create_time   timestamptz NOT NULL,
    update_time   timestamptz NOT NULL,
    resolve_time  timestamptz,
    revision      bigint NOT NULL
);

-- A project's obstacles in the order they were raised.
CREATE INDEX obstacle_project_idx ON projects.obstacle (project_id, id);
