-- docker-compose.yml only: the per-service roles' passwords of the local system, as public as
-- its postgres password. A deployment sets its own from its secrets (deploy/k8s/postgres.yaml).
ALTER ROLE baton_people PASSWORD 'baton-people';
ALTER ROLE baton_projects PASSWORD 'baton-projects';
ALTER ROLE baton_assets PASSWORD 'baton-assets';
ALTER ROLE baton_notifications PASSWORD 'baton-notifications';
