-- Each project's component settings; a project without a row has the defaults.
CREATE TABLE assets.project_settings (
    project_id  uuid PRIMARY KEY,
    retake_cap  integer NOT NULL DEFAULT 0 CHECK (retake_cap BETWEEN 0 AND 100),
    update_time timestamptz NOT NULL,
    revision    bigint NOT NULL
);
