-- How long a project lets a review wait before its reviewers are reminded (0: never); the
-- contract's default, 48 hours, for the projects whose settings changed before it existed.
ALTER TABLE assets.project_settings
    ADD COLUMN review_reminder_hours integer NOT NULL DEFAULT 48 CHECK (review_reminder_hours BETWEEN 0 AND 720);
