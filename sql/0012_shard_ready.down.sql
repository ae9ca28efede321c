-- Undo 0012: the single-column foreign keys of 0001, 0010 and 0011 come
-- back (with their names and actions), then the (user, id) keys, the
-- fill-in triggers and the added user_id columns go.
ALTER TABLE tasks DROP CONSTRAINT tasks_project_id_fkey,
    ADD CONSTRAINT tasks_project_id_fkey FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE;
ALTER TABLE notes DROP CONSTRAINT notes_project_id_fkey,
    ADD CONSTRAINT notes_project_id_fkey FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE;
ALTER TABLE phases DROP CONSTRAINT phases_project_id_fkey,
    ADD CONSTRAINT phases_project_id_fkey FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE;
ALTER TABLE phase_tasks DROP CONSTRAINT phase_tasks_phase_id_fkey,
    ADD CONSTRAINT phase_tasks_phase_id_fkey FOREIGN KEY (phase_id)
        REFERENCES phases (id) ON DELETE CASCADE;
ALTER TABLE phase_tasks DROP CONSTRAINT phase_tasks_task_id_fkey,
    ADD CONSTRAINT phase_tasks_task_id_fkey FOREIGN KEY (task_id)
        REFERENCES tasks (id) ON DELETE CASCADE;
ALTER TABLE task_calendar_events DROP CONSTRAINT task_calendar_events_task_id_fkey,
    ADD CONSTRAINT task_calendar_events_task_id_fkey FOREIGN KEY (task_id)
        REFERENCES tasks (id) ON DELETE CASCADE;
ALTER TABLE project_daily_briefs DROP CONSTRAINT project_daily_briefs_project_id_fkey,
    ADD CONSTRAINT project_daily_briefs_project_id_fkey FOREIGN KEY (project_id)
        REFERENCES projects (id) ON DELETE CASCADE;
ALTER TABLE project_daily_briefs DROP CONSTRAINT project_daily_briefs_daily_brief_id_fkey,
    ADD CONSTRAINT project_daily_briefs_daily_brief_id_fkey FOREIGN KEY (daily_brief_id)
        REFERENCES daily_briefs (id) ON DELETE CASCADE;
ALTER TABLE emails DROP CONSTRAINT emails_resent_from_fkey,
    ADD CONSTRAINT emails_resent_from_fkey FOREIGN KEY (resent_from)
        REFERENCES emails (id) ON DELETE SET NULL;
ALTER TABLE email_recipients DROP CONSTRAINT email_recipients_email_id_fkey,
    ADD CONSTRAINT email_recipients_email_id_fkey FOREIGN KEY (email_id)
        REFERENCES emails (id) ON DELETE CASCADE;
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_email_id_fkey,
    ADD CONSTRAINT email_tracking_events_email_id_fkey FOREIGN KEY (email_id)
        REFERENCES emails (id) ON DELETE CASCADE;
ALTER TABLE email_tracking_events DROP CONSTRAINT email_tracking_events_recipient_id_fkey,
    ADD CONSTRAINT email_tracking_events_recipient_id_fkey FOREIGN KEY (recipient_id)
        REFERENCES email_recipients (id) ON DELETE CASCADE;
ALTER TABLE email_bounce_reports DROP CONSTRAINT email_bounce_reports_email_id_fkey,
    ADD CONSTRAINT email_bounce_reports_email_id_fkey FOREIGN KEY (email_id)
        REFERENCES emails (id) ON DELETE CASCADE;
ALTER TABLE email_bounce_reports DROP CONSTRAINT email_bounce_reports_recipient_id_fkey,
    ADD CONSTRAINT email_bounce_reports_recipient_id_fkey FOREIGN KEY (recipient_id)
        REFERENCES email_recipients (id) ON DELETE SET NULL;

ALTER TABLE projects DROP CONSTRAINT projects_user_id_id_key;
ALTER TABLE tasks DROP CONSTRAINT tasks_user_id_id_key;
ALTER TABLE phases DROP CONSTRAINT phases_user_id_id_key;
ALTER TABLE daily_briefs DROP CONSTRAINT daily_briefs_user_id_id_key;
ALTER TABLE emails DROP CONSTRAINT emails_created_by_id_key;
ALTER TABLE email_recipients DROP CONSTRAINT email_recipients_user_id_id_key;

DROP TRIGGER phase_tasks_fill_user_id ON phase_tasks;
DROP TRIGGER email_recipients_fill_user_id ON email_recipients;
DROP TRIGGER email_tracking_events_fill_user_id ON email_tracking_events;
DROP TRIGGER email_bounce_reports_fill_user_id ON email_bounce_reports;
DROP FUNCTION briefos_fill_user_id();

ALTER TABLE phase_tasks DROP COLUMN user_id;
ALTER TABLE email_recipients DROP COLUMN user_id;
ALTER TABLE email_tracking_events DROP COLUMN user_id;
ALTER TABLE email_bounce_reports DROP COLUMN user_id;
