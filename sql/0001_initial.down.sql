-- Drops the initial briefos schema created by 0001_initial.up.sql (every table, function and enum).
--
-- No CASCADE: anything a later migration hung on these objects must already have
-- been removed by that migration's own down file, and an unexpected dependent
-- object makes this fail instead of being dropped silently.

DROP FUNCTION record_email_open(text, text, inet);

DROP TABLE email_suppressions;
DROP TABLE email_tracking_events;
DROP TABLE email_recipients;
DROP TABLE emails;

DROP TABLE queue_jobs;

DROP TABLE project_daily_briefs;
DROP TABLE daily_briefs;
DROP TABLE user_brief_preferences;

DROP TABLE task_calendar_events;
DROP TABLE phase_tasks;
DROP TABLE phases;
DROP TABLE notes;
DROP TABLE tasks;
DROP TABLE projects;
DROP TABLE users;

DROP FUNCTION briefos_touch_updated_at();

DROP TYPE queue_type;
DROP TYPE queue_status;
DROP TYPE priority_level;
DROP TYPE task_status;
DROP TYPE project_status;
