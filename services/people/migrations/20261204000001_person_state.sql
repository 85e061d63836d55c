-- People who left are deactivated, never deleted: their name stays on everything they did.
ALTER TABLE people.person ADD COLUMN state text NOT NULL DEFAULT 'PERSON_STATE_ACTIVE';
