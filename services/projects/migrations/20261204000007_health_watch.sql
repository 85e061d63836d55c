-- The health state last told of each project, and the projects whose health may have changed
-- since (marked by every write that feeds it, and once a minute for open projects, as dates
-- pass); the health watcher recomputes those and emits ProjectHealthChanged when the state moves.
CREATE TABLE projects.project_health (
    project_id  uuid PRIMARY KEY REFERENCES projects.project (id),
    state       text NOT NULL,
    reasons     jsonb NOT NULL,
    revision    bigint NOT NULL,
    update_time timestamptz NOT NULL
);

CREATE TABLE projects.health_dirty (
    project_id uuid PRIMARY KEY,
    mark_time  timestamptz NOT NULL DEFAULT clock_timestamp()
);
