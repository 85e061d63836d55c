-- The projects service's own projection of each project's components, built from the assets
-- service's events (it never reads the assets schema), and the inbox of events it applied.

CREATE TABLE projects.component (
    project_id   uuid NOT NULL,
    id           uuid NOT NULL,
    display_name text NOT NULL,
    kind         text NOT NULL,
    weight       integer NOT NULL,
    status       text NOT NULL,
    -- the asset's revision this row shows: an older event never overwrites a newer one
    revision     bigint NOT NULL,
    create_time  timestamptz NOT NULL,
    -- when it entered its current status
    status_time  timestamptz NOT NULL,
    PRIMARY KEY (project_id, id)
);

-- Every status change of a component, once per asset revision: the history the review picture
-- and the flow are computed from, whatever order the events arrive in.
CREATE TABLE projects.component_step (
    project_id  uuid NOT NULL,
    asset_id    uuid NOT NULL,
    revision    bigint NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    step_time   timestamptz NOT NULL,
    PRIMARY KEY (project_id, asset_id, revision)
);

CREATE TABLE projects.inbox (
    source       text NOT NULL,
    event_id     uuid NOT NULL,
    receive_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, event_id)
);
