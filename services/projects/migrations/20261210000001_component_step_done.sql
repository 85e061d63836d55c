-- Each component's approvals and deliveries, for the health watcher and the milestones: when
-- a component was first approved or delivered. Read through the primary key, every
-- recomputation of a project's health walked the project's whole history of steps, which
-- grows with every status change it ever had; this index holds only the steps they look for.
CREATE INDEX component_step_done_idx ON projects.component_step (project_id, asset_id, step_time)
    WHERE to_status IN ('ASSET_STATUS_APPROVED', 'ASSET_STATUS_DELIVERED');
