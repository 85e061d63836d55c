-- Quality: each project's checklists per component kind (a project without a row for a kind
-- has that kind's defaults), the measurements of each version, and each component's quality
-- (how its newest version measures up) as a document.
CREATE TABLE assets.quality_checklist (
    project_id  uuid NOT NULL,
    kind        text NOT NULL,
    -- [{"id", "title", "unit", "target": {…}, "from_media"}]
    checks      jsonb NOT NULL,
    update_time timestamptz NOT NULL,
    revision    bigint NOT NULL,
    PRIMARY KEY (project_id, kind)
);

ALTER TABLE assets.version ADD COLUMN measurements jsonb NOT NULL DEFAULT '[]';

-- {"version", "score", "passed", "failed", "unmeasured", "failed_checks"}; NULL before the
-- first version.
ALTER TABLE assets.asset ADD COLUMN quality jsonb;
