-- Makes the schema ready to be distributed by user (Citus, issue 21): every
-- user-owned table carries its user, and every foreign key between two
-- user-owned tables includes it.
--
-- Citus is not packaged for Debian 12, so distributing stays a plan
-- (ARCHITECTURE.md, "Distributing by user_id"), but what it needs of the
-- schema is checked now (tests/cli/shard_ready.test.sh, which also holds the
-- list of tables that would be reference or coordinator-local tables):
--
-- * The user column. users is distributed by id, emails by created_by (the
--   BuildOS name of its owner), every other user-owned table by user_id.
--   phase_tasks, email_recipients, email_tracking_events and
--   email_bounce_reports had none: they get user_id, filled from their
--   parent row (the phase, or the email) and then NOT NULL.
-- * A BEFORE INSERT trigger fills that user_id from the parent when a
--   writer leaves it out. phase_tasks is written by the BuildOS web app,
--   not by briefos, and the email rows by briefos-generate, briefos-email
--   and the SQL functions of 0001, 0009 and 0010: none of them knows the
--   column, and all keep working unchanged. A writer that sets user_id
--   itself is checked by the foreign key instead. (Under Citus a trigger
--   that reads another distributed table is "unsafe"; by then the writers
--   set user_id and the triggers go.)
-- * Foreign keys between user-owned tables become (user, parent id) ->
--   parent (user, id), on a new UNIQUE (user, id) of each parent: Citus
--   refuses a key between distributed tables without the distribution
--   column. So a task, note, phase or phase link of one user inside another
--   user's project cannot be stored any more (briefos-generate already left
--   such rows out of briefs). Keys to users(id) already have the user on
--   both sides and stay.
--
-- Existing rows that break the new keys (a task whose user is not its
-- project's user, say) make this migration fail, naming the constraint and
-- the key; it then changes nothing. Find them with, for example,
--   SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_id
--    WHERE t.user_id <> p.user_id;
-- and move or delete them first. ALTER TABLE takes an exclusive lock on each
-- table while it rewrites or checks it: on a large live database run this
-- in a quiet hour.

-- ---------------------------------------------------------------------------
-- The user of child rows: columns, backfill, NOT NULL
-- ---------------------------------------------------------------------------

ALTER TABLE phase_tasks ADD COLUMN user_id uuid;
UPDATE phase_tasks pt SET user_id = ph.user_id FROM phases ph WHERE ph.id = pt.phase_id;
ALTER TABLE phase_tasks ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE email_recipients ADD COLUMN user_id uuid;
UPDATE email_recipients r SET user_id = e.created_by FROM emails e WHERE e.id = r.email_id;
ALTER TABLE email_recipients ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE email_tracking_events ADD COLUMN user_id uuid;
UPDATE email_tracking_events t SET user_id = e.created_by FROM emails e WHERE e.id = t.email_id;
ALTER TABLE email_tracking_events ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE email_bounce_reports ADD COLUMN user_id uuid;
UPDATE email_bounce_reports b SET user_id = e.created_by FROM emails e WHERE e.id = b.email_id;
ALTER TABLE email_bounce_reports ALTER COLUMN user_id SET NOT NULL;

-- A row inserted without user_id takes its parent's: the parent table,
-- the parent's user column and the row's column naming the parent are the
-- trigger's arguments. SECURITY DEFINER: a writer needs no privilege on
-- the parent for this (its INSERT names no new column either). A parent
-- that does not exist leaves user_id NULL, and NOT NULL refuses the row.
CREATE FUNCTION briefos_fill_user_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_user uuid;
BEGIN
    IF NEW.user_id IS NULL THEN
        EXECUTE format('SELECT %I FROM %I WHERE id = $1', TG_ARGV[1], TG_ARGV[0])
           INTO v_user
          USING (to_jsonb(NEW) ->> TG_ARGV[2])::uuid;
        NEW.user_id := v_user;
    END IF;
    RETURN NEW;
END;
$$;
REVOKE EXECUTE ON FUNCTION briefos_fill_user_id() FROM PUBLIC;

CREATE TRIGGER phase_tasks_fill_user_id BEFORE INSERT ON phase_tasks
    FOR EACH ROW EXECUTE FUNCTION briefos_fill_user_id('phases', 'user_id', 'phase_id');
CREATE TRIGGER email_recipients_fill_user_id BEFORE INSERT ON email_recipients
    FOR EACH ROW EXECUTE FUNCTION briefos_fill_user_id('emails', 'created_by', 'email_id');
CREATE TRIGGER email_tracking_events_fill_user_id BEFORE INSERT ON email_tracking_events
    FOR EACH ROW EXECUTE FUNCTION briefos_fill_user_id('emails', 'created_by', 'email_id');
CREATE TRIGGER email_bounce_reports_fill_user_id BEFORE INSERT ON email_bounce_reports
    FOR EACH ROW EXECUTE FUNCTION briefos_fill_user_id('emails', 'created_by', 'email_id');

-- ---------------------------------------------------------------------------
-- Foreign keys with the user on both sides
-- ---------------------------------------------------------------------------

-- What the new keys reference. (Under Citus these become the primary keys:
-- a unique key without the distribution column is refused too.)
ALTER TABLE projects ADD CONSTRAINT projects_user_id_id_key UNIQUE (user_id, id);
ALTER TABLE tasks ADD CONSTRAINT tasks_user_id_id_key UNIQUE (user_id, id);
ALTER TABLE phases ADD CONSTRAINT phases_user_id_id_key UNIQUE (user_id, id);
ALTER TABLE daily_briefs ADD CONSTRAINT daily_briefs_user_id_id_key UNIQUE (user_id, id);
ALTER TABLE emails ADD CONSTRAINT emails_created_by_id_key UNIQUE (created_by, id);
ALTER TABLE email_recipients ADD CONSTRAINT email_recipients_user_id_id_key UNIQUE (user_id, id);

-- Same names, same actions; SET NULL clears only the parent id (the user
-- column is NOT NULL and stays).
ALTER TABLE tasks DROP CONSTRAINT tasks_project_id_fkey,
    ADD CONSTRAINT tasks_project_id_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id) ON DELETE CASCADE;
ALTER TABLE notes DROP CONSTRAINT notes_project_id_fkey,
    ADD CONSTRAINT notes_project_id_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id) ON DELETE CASCADE;
ALTER TABLE phases DROP CONSTRAINT phases_project_id_fkey,
    ADD CONSTRAINT phases_project_id_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id) ON DELETE CASCADE;
ALTER TABLE phase_tasks DROP CONSTRAINT phase_tasks_phase_id_fkey,
    ADD CONSTRAINT phase_tasks_phase_id_fkey FOREIGN KEY (user_id, phase_id)
        REFERENCES phases (user_id, id) ON DELETE CASCADE;
ALTER TABLE phase_tasks DROP CONSTRAINT phase_tasks_task_id_fkey,
    ADD CONSTRAINT phase_tasks_task_id_fkey FOREIGN KEY (user_id, task_id)
        REFERENCES tasks (user_id, id) ON DELETE CASCADE;
ALTER TABLE task_calendar_events DROP CONSTRAINT task_calendar_events_task_id_fkey,
    ADD CONSTRAINT task_calendar_events_task_id_fkey FOREIGN KEY (user_id, task_id)
        REFERENCES tasks (user_id, id) ON DELETE CASCADE;
ALTER TABLE project_daily_briefs DROP CONSTRAINT project_daily_briefs_project_id_fkey,
    ADD CONSTRAINT project_daily_briefs_project_id_fkey FOREIGN KEY (user_id, project_id)
        REFERENCES projects (user_id, id) ON DELETE CASCADE;
ALTER TABLE project_daily_briefs DROP CONSTRAINT project_daily_briefs_daily_brief_id_fkey,
    ADD CONSTRAINT project_daily_briefs_daily_brief_id_fkey FOREIGN KEY (user_id, daily_brief_id)
        REFERENCES daily_briefs (user_id, id) ON DELETE CASCADE;
ALTER TABLE emails DROP CONSTRAINT emails_resent_from_fkey,
    ADD CONSTRAINT emails_resent_from_fkey FOREIGN KEY (created_by, resent_from)
        REFERENCES emails (created_by, id) ON DELETE SET NULL (resent_from);
ALTER TABLE email_recipients DROP CONSTRAINT email_recipients_email_id_fkey,
    ADD CONSTRAINT email_recipients_email_id_fkey FOREIGN KEY (user_id, email_id)
        REFERENCES emails (created_by, id) ON DELETE CASCADE;
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_email_id_fkey,
    ADD CONSTRAINT email_tracking_events_email_id_fkey FOREIGN KEY (user_id, email_id)
        REFERENCES emails (created_by, id) ON DELETE CASCADE;
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_recipient_id_fkey,
    ADD CONSTRAINT email_tracking_events_recipient_id_fkey FOREIGN KEY (user_id, recipient_id)
        REFERENCES email_recipients (user_id, id) ON DELETE CASCADE;
ALTER TABLE email_bounce_reports DROP CONSTRAINT email_bounce_reports_email_id_fkey,
    ADD CONSTRAINT email_bounce_reports_email_id_fkey FOREIGN KEY (user_id, email_id)
        REFERENCES emails (created_by, id) ON DELETE CASCADE;
ALTER TABLE email_bounce_reports DROP CONSTRAINT email_bounce_reports_recipient_id_fkey,
    ADD CONSTRAINT email_bounce_reports_recipient_id_fkey FOREIGN KEY (user_id, recipient_id)
        REFERENCES email_recipients (user_id, id) ON DELETE SET NULL (recipient_id);
