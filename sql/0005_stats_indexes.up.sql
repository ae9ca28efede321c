-- Adds the indexes briefos-stats needs to stay under a second on large tables.
--
-- emails_daily_brief_created_at_idx: the emails report (and brief_email_stats)
-- select daily-brief emails by a created_at range; without it every report
-- reads the whole emails table.
-- queue_jobs_user_id_created_at_idx: the user report lists a user's recent
-- jobs, finished ones included (the existing per-user index covers only
-- active jobs); it also serves ON DELETE CASCADE from users.
--
-- Plain CREATE INDEX (two statements, one transaction) blocks writes to
-- the table while it builds. On a large live database, create both first
-- with CREATE INDEX CONCURRENTLY and the same names; IF NOT EXISTS then makes
-- this migration a no-op.

CREATE INDEX IF NOT EXISTS emails_daily_brief_created_at_idx
    ON emails (created_at)
    WHERE category = 'daily_brief';

CREATE INDEX IF NOT EXISTS queue_jobs_user_id_created_at_idx
    ON queue_jobs (user_id, created_at);
