-- A person's projects, for listing only the projects a caller is on.
CREATE INDEX member_person_project_idx ON projects.member (person_id, project_id);
