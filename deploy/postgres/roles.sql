-- Baton's Postgres login roles, one per service (docs/security.md, "Data-layer isolation").
-- Cluster-wide and idempotent: run once per cluster, as a superuser, before schemas.sql.
-- Passwords are set apart, from the deployment's secrets:
--   ALTER ROLE baton_people PASSWORD '…';
-- A role logs in, owns its service's schema (schemas.sql), and nothing else: it cannot create
-- schemas, databases or roles, and it reads no other service's schema.
DO $$
DECLARE
    service text;
BEGIN
    FOREACH service IN ARRAY ARRAY['people', 'projects', 'assets', 'notifications'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', 'baton_' || service);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            -- There already (or being created by a concurrent run).
            NULL;
        END;
    END LOOP;
END
$$;
