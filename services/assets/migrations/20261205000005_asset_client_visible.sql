-- Whether the client follows a component (what a client contact may see of it).
ALTER TABLE assets.asset ADD COLUMN client_visible boolean NOT NULL DEFAULT true;
