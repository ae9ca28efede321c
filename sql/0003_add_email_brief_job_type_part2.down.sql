-- Rolls back 0003 (the original's rollback plan): valid_job_metadata without generate_brief_email, then drops the view, the functions and the indexes.

ALTER TABLE queue_jobs DROP CONSTRAINT IF EXISTS valid_job_metadata;
ALTER TABLE queue_jobs ADD CONSTRAINT valid_job_metadata CHECK (
    status IN ('completed', 'cancelled', 'failed')
    OR NOT (status NOT IN ('completed', 'cancelled', 'failed')
            AND job_type IN ('generate_daily_brief', 'generate_phases')
            AND metadata IS NULL));

DROP VIEW IF EXISTS brief_email_stats;

DROP FUNCTION IF EXISTS get_pending_brief_emails(integer);
DROP FUNCTION IF EXISTS get_brief_email_status(text);

DROP INDEX IF EXISTS idx_emails_category_template_data;
DROP INDEX IF EXISTS idx_emails_status_category;
