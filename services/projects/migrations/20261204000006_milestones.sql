-- Milestones: points a project must reach by a date, with the components they need.
CREATE TABLE projects.milestone (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects.project (id),
    title       text NOT NULL,
    due_date    date NOT NULL,
    -- the ids of the assets (of this project) it needs
    components  uuid[] NOT NULL DEFAULT '{}',
    create_time timestamptz NOT NULL,
    update_time timestamptz NOT NULL,
    revision    bigint NOT NULL
);

-- A project's milestones by due date.
CREATE INDEX milestone_project_due_idx ON projects.milestone (project_id, due_date, id);
