-- Each component's quality as the assets service last told it: its score (NULL before its first
-- assessment or without checks) and the checks its newest version fails.
ALTER TABLE projects.component
    ADD COLUMN quality_score double precision,
    ADD COLUMN failed_checks text[] NOT NULL DEFAULT '{}';
