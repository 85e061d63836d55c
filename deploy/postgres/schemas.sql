-- Each service's schema in Baton's database, owned by that service's role (roles.sql).
-- Idempotent: run as a superuser in the database Baton uses, after roles.sql and before the
-- services first start with their own logins (database.urls.*). The services' migrations then
-- create their tables inside; nobody else is granted anything on them.
CREATE SCHEMA IF NOT EXISTS people AUTHORIZATION baton_people;
CREATE SCHEMA IF NOT EXISTS projects AUTHORIZATION baton_projects;
CREATE SCHEMA IF NOT EXISTS assets AUTHORIZATION baton_assets;
CREATE SCHEMA IF NOT EXISTS notifications AUTHORIZATION baton_notifications;
-- No shared place to put things: nobody but the owner creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
