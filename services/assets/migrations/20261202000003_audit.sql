-- The assets service's audit trail: one record per accepted write, written by the write's own
-- statement (baton_messaging::Mutation), read per project or per actor by ListAuditRecords.
CREATE TABLE assets.audit (
    id          uuid PRIMARY KEY,
    create_time timestamptz NOT NULL DEFAULT now(),
    method      text NOT NULL,
    actor       text NOT NULL,
    token_id    text,
    resource    text NOT NULL,
    project_id  uuid
);

CREATE INDEX audit_project_idx ON assets.audit (project_id, id) WHERE project_id IS NOT NULL;
CREATE INDEX audit_actor_idx ON assets.audit (actor, id);
