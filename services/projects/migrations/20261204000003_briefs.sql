-- A project's brief, and every revision of it with who made it and what changed.
CREATE TABLE projects.brief (
    project_id   uuid PRIMARY KEY REFERENCES projects.project (id),
    content      jsonb NOT NULL,
    revision     bigint NOT NULL,
    update_time  timestamptz NOT NULL,
    update_actor text NOT NULL
);

CREATE TABLE projects.brief_revision (
    project_id     uuid NOT NULL REFERENCES projects.project (id),
    revision       bigint NOT NULL,
    content        jsonb NOT NULL,
    changed_fields text[] NOT NULL,
    actor          text NOT NULL,
    create_time    timestamptz NOT NULL,
    PRIMARY KEY (project_id, revision)
);
