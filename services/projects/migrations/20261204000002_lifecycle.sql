-- The lifecycle's stages: projects that were ACTIVE are in production; an ON_HOLD project
-- remembers the stage it returns to.
ALTER TABLE projects.project ADD COLUMN held_state text;
UPDATE projects.project SET state = 'PROJECT_STATE_PRODUCTION' WHERE state = 'PROJECT_STATE_ACTIVE';
