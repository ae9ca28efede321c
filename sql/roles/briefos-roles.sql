-- briefos-roles.sql: least-privilege database roles for the briefos programs.
--
-- Each program connects with a login role that is a member of exactly one of
-- these group roles (NOLOGIN), which holds only what that program's
-- statements need (read from libcore/briefos/db/*.cpp):
--
--   briefos_migrate   owns every table, view, sequence, type and function of
--                     the schema and may create objects in it: it runs the
--                     migrations (and the advisory lock every role may take).
--   briefos_schedule  reads preferences, users and briefs; never writes a
--                     preference; keeps its own schedule_state row; queues
--                     and cancels generate_daily_brief jobs.
--   briefos_generate  reads the source data (users, projects, tasks, notes,
--                     phases, calendar links); writes briefs, project briefs,
--                     the brief's email and recipient rows; claims, completes
--                     and queues jobs.
--   briefos_email     reads emails, recipients, briefs, users, preferences and
--                     suppressions; updates emails and recipients, records
--                     tracking events and hard-bounce suppressions; claims
--                     and completes jobs. It cannot write briefs.
--   briefos_stats     SELECT on the tables its reports read, nothing else.
--
-- LISTEN/NOTIFY and advisory locks (the queue's wake-up, the sweep and
-- migration locks) need no privilege. Nothing but briefos_migrate can change
-- the schema.
--
-- Apply it as a superuser (or a role with CREATEROLE that may change the
-- objects' owner) in the briefos database, after `briefos-migrate up`, and
-- again after every upgrade, since a new table gets its grants here:
--
--   psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -f share/briefos/sql/roles/briefos-roles.sql
--   psql "$ADMIN_URL" -c 'CREATE ROLE gen_host1 LOGIN PASSWORD ... IN ROLE briefos_generate'
--
-- Run before the first migration, it only creates the roles and lets
-- briefos_migrate create objects in the current schema; run it again after
-- migrating. It is idempotent: roles are created only when missing, owners
-- only changed when different, and each program role's table privileges are
-- revoked and granted again in one transaction, so the result is exactly
-- what this file says however often (or after whichever older version) it
-- ran. The schema is the one that holds briefos_schema_migrations; every
-- table, view, sequence, type and function in it is given to
-- briefos_migrate, so keep briefos in a database (or schema) of its own.

BEGIN;

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['briefos_migrate', 'briefos_schedule', 'briefos_generate',
                             'briefos_email', 'briefos_stats'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END;
$roles$;

DO $grants$
DECLARE
    s        text;
    obj      record;
    programs text := 'briefos_schedule, briefos_generate, briefos_email, briefos_stats';
BEGIN
    SELECT n.nspname INTO s
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = 'briefos_schema_migrations' AND c.relkind = 'r'
     ORDER BY array_position(current_schemas(false), n.nspname::text) NULLS LAST
     LIMIT 1;

    IF s IS NULL THEN
        -- Not migrated yet: let the migrator create the schema's objects.
        EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO briefos_migrate', current_schema());
        RAISE NOTICE 'briefos roles created; no briefos schema yet: run briefos-migrate up, then this file again';
        RETURN;
    END IF;

    EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO briefos_migrate', s);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', s, programs);

    -- Ownership: tables, views and free-standing sequences (an identity or
    -- serial sequence follows its table), enum and domain types, functions.
    -- Objects of extensions are left alone.
    FOR obj IN
        SELECT c.oid, c.relkind, c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
           AND c.relowner <> 'briefos_migrate'::regrole
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                              AND d.deptype IN ('a', 'i', 'e')
                              AND (c.relkind = 'S' OR d.deptype = 'e'))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO briefos_migrate',
                       CASE obj.relkind WHEN 'S' THEN 'SEQUENCE'
                                        WHEN 'v' THEN 'VIEW'
                                        WHEN 'm' THEN 'MATERIALIZED VIEW'
                                        WHEN 'f' THEN 'FOREIGN TABLE'
                                        ELSE 'TABLE' END,
                       obj.oid::regclass);
    END LOOP;
    FOR obj IN
        SELECT t.oid
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE n.nspname = s AND t.typtype IN ('e', 'd')
           AND t.typowner <> 'briefos_migrate'::regrole
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO briefos_migrate', obj.oid::regtype);
    END LOOP;
    FOR obj IN
        SELECT p.oid
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = s AND p.proowner <> 'briefos_migrate'::regrole
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                            WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                              AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO briefos_migrate', obj.oid::regprocedure);
    END LOOP;

    -- The two SECURITY DEFINER functions of migration 0003 run with their
    -- owner's rights and read every email; PostgreSQL lets PUBLIC execute
    -- any new function. None of the programs calls them: only the roles the
    -- migration named (service_role, authenticated, where they exist) keep
    -- EXECUTE.
    FOR obj IN
        SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = s AND p.prosecdef
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', obj.oid::regprocedure);
    END LOOP;

    -- Start from nothing, so the grants below are the whole truth.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %s', s, programs);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %s', s, programs);

    -- briefos-schedule (db/schedule_store.cpp)
    EXECUTE format('GRANT SELECT ON %1$I.users, %1$I.daily_briefs TO briefos_schedule', s);
    EXECUTE format('GRANT SELECT ON %I.user_brief_preferences TO briefos_schedule', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.schedule_state TO briefos_schedule', s);
    EXECUTE format('GRANT SELECT, INSERT,'
                   ' UPDATE (status, error_message, completed_at, locked_by, locked_until, updated_at)'
                   ' ON %I.queue_jobs TO briefos_schedule', s);

    -- briefos-generate (db/brief_store.cpp, db/queue.cpp)
    EXECUTE format('GRANT SELECT ON %1$I.users, %1$I.user_brief_preferences, %1$I.projects,'
                   ' %1$I.tasks, %1$I.task_calendar_events, %1$I.notes, %1$I.phases,'
                   ' %1$I.phase_tasks TO briefos_generate', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %1$I.daily_briefs, %1$I.emails TO briefos_generate', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.project_daily_briefs TO briefos_generate', s);
    EXECUTE format('GRANT INSERT ON %I.email_recipients TO briefos_generate', s);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.queue_jobs TO briefos_generate', s);
    -- queue::enqueue draws ids with nextval() before inserting.
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO briefos_generate',
                   pg_get_serial_sequence(format('%I.queue_jobs', s), 'id'));

    -- briefos-email (db/email_store.cpp, db/queue.cpp)
    EXECUTE format('GRANT SELECT ON %1$I.users, %1$I.user_brief_preferences, %1$I.daily_briefs'
                   ' TO briefos_email', s);
    EXECUTE format('GRANT SELECT, UPDATE ON %1$I.emails, %1$I.email_recipients TO briefos_email', s);
    EXECUTE format('GRANT INSERT ON %I.email_tracking_events TO briefos_email', s);
    EXECUTE format('GRANT SELECT, INSERT ON %I.email_suppressions TO briefos_email', s);
    EXECUTE format('GRANT SELECT, UPDATE ON %I.queue_jobs TO briefos_email', s);

    -- briefos-stats (db/stats_queries.cpp): read-only.
    EXECUTE format('GRANT SELECT ON %1$I.users, %1$I.user_brief_preferences, %1$I.daily_briefs,'
                   ' %1$I.emails, %1$I.email_recipients, %1$I.queue_jobs TO briefos_stats', s);
END;
$grants$;

COMMIT;
