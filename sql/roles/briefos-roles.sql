-- briefos-roles.sql: least-privilege database roles for the briefos programs.
--
-- Each program connects with a login role that is a member of exactly one of
-- these group roles (NOLOGIN), which holds only what that program's
-- statements need (read from libcore/briefos/db/*.cpp):
--
--   briefos_migrate   owns every table, view, sequence, type and function of
--                     the schema and may create objects in it: it runs the
--                     migrations (and the advisory lock every role may take).
--   briefos_schedule  reads preferences, users and briefs, and of emails only
--                     who was sent a brief when (--engagement-backoff); never
--                     writes a preference; keeps its own schedule_state row;
--                     queues and cancels generate_daily_brief jobs.
--   briefos_generate  reads the source data (users, projects, tasks, notes,
--                     phases, calendar links); writes briefs, project briefs,
--                     the brief's email and recipient rows; claims, completes
--                     and queues jobs.
--   briefos_email     reads emails, recipients, briefs, users, preferences and
--                     suppressions; updates only the delivery state of emails
--                     and recipients (status, times, errors, Message-ID),
--                     never their content, sender or addresses; records
--                     tracking events and hard-bounce suppressions; claims
--                     and completes jobs. It cannot write briefs. Its
--                     operator commands (migration 0010): suppress and
--                     unsuppress (INSERT, DELETE on email_suppressions);
--                     resend and unsubscribe only through the SECURITY
--                     DEFINER functions briefos_resend_email (a copy of a
--                     brief email to the user's own address, and that
--                     email's job) and briefos_unsubscribe.
--   briefos_web       a web tier's one-click unsubscribe endpoint: EXECUTE
--                     on briefos_unsubscribe(text) and nothing else (give
--                     the web tier's login role this one; see
--                     briefos-email(1), UNSUBSCRIBES).
--   briefos_stats     SELECT on the tables its reports read, nothing else.
--   briefos_queue     briefos-queue: reads and changes the state of jobs
--                     (retry, cancel) and deletes finished ones (prune); puts
--                     a failed email and its recipient back to pending on a
--                     retry; reads users, preferences and suppressions.
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
                             'briefos_email', 'briefos_stats', 'briefos_queue', 'briefos_web'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END;
$roles$;

DO $grants$
DECLARE
    s           text;
    obj         record;
    g           record;
    kind        text;
    wanted      text[];
    present     text;
    missing     text[];
    worker_cols text[];
    programs    text := 'briefos_schedule, briefos_generate, briefos_email, briefos_stats, briefos_queue, briefos_web';
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

    -- The grants, in one list: per (role, table) the table privileges, then
    -- the only columns the role may read (SELECT on the whole table when
    -- NULL) and the only columns it may UPDATE. The column lists are the
    -- SET lists of the program's statements (libcore/briefos/db/*.cpp and
    -- db/detail/*.hpp); a column listed here that the schema does not have
    -- (yet) is skipped with a NOTICE, so a column a later migration adds can
    -- be named before it exists. Extend a row when a program writes a new
    -- column; tests/cli/roles.test.sh runs every program in every mode with
    -- only its role.
    --
    -- The columns the worker loop writes in queue_jobs (claim, heartbeat,
    -- complete, fail, release, rescue, cancel: db/queue.cpp).
    worker_cols := ARRAY['status', 'attempts', 'locked_by', 'locked_until', 'started_at', 'updated_at',
                         'result', 'completed_at', 'scheduled_for', 'error_message', 'errors'];
    FOR g IN
        SELECT * FROM (VALUES
            -- briefos-schedule (db/schedule_store.cpp, db/schedule_shares.cpp):
            -- --engagement-backoff reads when each user's last brief email was
            -- created, and nothing else of emails.
            ('briefos_schedule', 'users',                  'SELECT', NULL::text[], NULL::text[]),
            ('briefos_schedule', 'daily_briefs',           'SELECT', NULL, NULL),
            ('briefos_schedule', 'user_brief_preferences', 'SELECT', NULL, NULL),
            ('briefos_schedule', 'emails',                 '',
                ARRAY['created_by', 'category', 'status', 'created_at'], NULL),
            ('briefos_schedule', 'schedule_state',         'SELECT, INSERT, UPDATE', NULL, NULL),
            ('briefos_schedule', 'queue_jobs',             'SELECT, INSERT', NULL,
                ARRAY['status', 'error_message', 'completed_at', 'locked_by', 'locked_until', 'updated_at']),
            -- briefos-generate (db/brief_source.cpp, db/brief_store.cpp,
            -- db/brief_queue.cpp, db/queue.cpp): it owns the briefs; of an
            -- email it rewrites only the subject and template data when a
            -- brief is generated again.
            ('briefos_generate', 'users',                  'SELECT', NULL, NULL),
            ('briefos_generate', 'user_brief_preferences', 'SELECT', NULL, NULL),
            ('briefos_generate', 'projects',               'SELECT', NULL, NULL),
            ('briefos_generate', 'tasks',                  'SELECT', NULL, NULL),
            ('briefos_generate', 'task_calendar_events',   'SELECT', NULL, NULL),
            ('briefos_generate', 'notes',                  'SELECT', NULL, NULL),
            ('briefos_generate', 'phases',                 'SELECT', NULL, NULL),
            ('briefos_generate', 'phase_tasks',            'SELECT', NULL, NULL),
            ('briefos_generate', 'daily_briefs',           'SELECT, INSERT, UPDATE', NULL, NULL),
            ('briefos_generate', 'project_daily_briefs',   'SELECT, INSERT, UPDATE, DELETE', NULL, NULL),
            ('briefos_generate', 'emails',                 'SELECT, INSERT', NULL,
                ARRAY['subject', 'template_data', 'status']),
            ('briefos_generate', 'email_recipients',       'INSERT', ARRAY['id', 'email_id'], NULL),
            ('briefos_generate', 'queue_jobs',             'SELECT, INSERT', NULL, worker_cols),
            -- briefos-email (db/email_store.cpp, db/queue.cpp): the state of
            -- a delivery, never its content, sender or recipients.
            -- smtp_reply is written by the SMTP delivery record (issue 16).
            ('briefos_email', 'users',                  'SELECT', NULL, NULL),
            -- bounces: a complaint opts the user out of brief emails.
            ('briefos_email', 'user_brief_preferences', 'SELECT', NULL, ARRAY['email_daily_brief']),
            ('briefos_email', 'email_bounce_reports',   'SELECT, INSERT', NULL, NULL),
            ('briefos_email', 'daily_briefs',           'SELECT', NULL, NULL),
            ('briefos_email', 'emails',                 'SELECT', NULL,
                ARRAY['status', 'message_id', 'subject_variant', 'sent_at', 'error_message', 'smtp_reply']),
            ('briefos_email', 'email_recipients',       'SELECT', NULL,
                ARRAY['status', 'sent_at', 'error_message', 'smtp_reply']),
            ('briefos_email', 'email_tracking_events',  'INSERT', NULL, NULL),
            -- suppress and unsuppress (db/email_admin.cpp).
            ('briefos_email', 'email_suppressions',     'SELECT, INSERT, DELETE', NULL, NULL),
            ('briefos_email', 'queue_jobs',             'SELECT', NULL, worker_cols),
            -- briefos-stats (db/stats_queries.cpp): read-only.
            ('briefos_stats', 'users',                  'SELECT', NULL, NULL),
            ('briefos_stats', 'user_brief_preferences', 'SELECT', NULL, NULL),
            ('briefos_stats', 'daily_briefs',           'SELECT', NULL, NULL),
            ('briefos_stats', 'emails',                 'SELECT', NULL, NULL),
            ('briefos_stats', 'email_recipients',       'SELECT', NULL, NULL),
            ('briefos_stats', 'queue_jobs',             'SELECT', NULL, NULL),
            -- the user report's diagnosis: is the address suppressed?
            ('briefos_stats', 'email_suppressions',     'SELECT', NULL, NULL),
            -- briefos-queue (db/queue_admin.cpp, db/queue.cpp cancel and
            -- prune): the state of jobs, never their type, user or metadata;
            -- of an email and its recipient only the status and error.
            ('briefos_queue', 'users',                  'SELECT', NULL, NULL),
            ('briefos_queue', 'user_brief_preferences', 'SELECT', NULL, NULL),
            ('briefos_queue', 'email_suppressions',     'SELECT', NULL, NULL),
            ('briefos_queue', 'queue_jobs',             'SELECT, DELETE', NULL,
                ARRAY['status', 'attempts', 'scheduled_for', 'started_at', 'completed_at', 'error_message',
                      'result', 'locked_by', 'locked_until', 'updated_at']),
            ('briefos_queue', 'emails',                 'SELECT', NULL, ARRAY['status', 'error_message']),
            ('briefos_queue', 'email_recipients',       'SELECT', NULL, ARRAY['status', 'error_message'])
        ) AS t(grantee, tbl, privileges, select_cols, update_cols)
    LOOP
        -- A table a later migration adds is granted once it exists.
        IF to_regclass(format('%I.%I', s, g.tbl)) IS NULL THEN
            RAISE NOTICE 'briefos roles: no table %.% yet; not granted to %', s, g.tbl, g.grantee;
            CONTINUE;
        END IF;
        IF g.privileges <> '' THEN
            EXECUTE format('GRANT %s ON %I.%I TO %I', g.privileges, s, g.tbl, g.grantee);
        END IF;
        FOREACH kind IN ARRAY ARRAY['SELECT', 'UPDATE'] LOOP
            wanted := CASE kind WHEN 'SELECT' THEN g.select_cols ELSE g.update_cols END;
            CONTINUE WHEN wanted IS NULL;
            SELECT array_agg(c ORDER BY o) FILTER (WHERE a.attname IS NULL)
              INTO missing
              FROM unnest(wanted) WITH ORDINALITY AS w(c, o)
              LEFT JOIN pg_attribute a ON a.attrelid = format('%I.%I', s, g.tbl)::regclass
                                      AND a.attname = w.c AND a.attnum > 0 AND NOT a.attisdropped;
            SELECT string_agg(quote_ident(c), ', ' ORDER BY o)
              INTO present
              FROM unnest(wanted) WITH ORDINALITY AS w(c, o)
             WHERE NOT c = ANY(coalesce(missing, '{}'));
            IF missing IS NOT NULL THEN
                RAISE NOTICE 'briefos roles: %.% has no column %; not granted to % yet',
                             s, g.tbl, array_to_string(missing, ', '), g.grantee;
            END IF;
            IF present IS NOT NULL THEN
                EXECUTE format('GRANT %s (%s) ON %I.%I TO %I', kind, present, s, g.tbl, g.grantee);
            END IF;
        END LOOP;
    END LOOP;
    -- A recipient follows its user only through this function (migration
    -- 0009): the email and generate roles may copy the user's address onto
    -- a recipient, never write one of their own.
    IF to_regprocedure(format('%I.briefos_recipient_follow_user(uuid)', s)) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I.briefos_recipient_follow_user(uuid) TO briefos_email, briefos_generate', s);
    END IF;
    -- Migration 0010: briefos-email resend and unsubscribe go through these
    -- (the email role may not insert emails, recipients or jobs itself);
    -- a web tier's role holds only the unsubscribe.
    IF to_regprocedure(format('%I.briefos_resend_email(uuid, boolean, text, text, integer, integer)', s)) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I.briefos_resend_email(uuid, boolean, text, text, integer, integer) TO briefos_email', s);
    END IF;
    IF to_regprocedure(format('%I.briefos_unsubscribe(text)', s)) IS NOT NULL THEN
        EXECUTE format('GRANT EXECUTE ON FUNCTION %I.briefos_unsubscribe(text) TO briefos_email, briefos_web', s);
    END IF;
    -- queue::enqueue draws ids with nextval() before inserting.
    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO briefos_generate',
                   pg_get_serial_sequence(format('%I.queue_jobs', s), 'id'));
END;
$grants$;

COMMIT;
