-- Reverts 0006_brief_store_speed.

ALTER TABLE queue_jobs ALTER COLUMN result SET COMPRESSION DEFAULT;
ALTER TABLE project_daily_briefs ALTER COLUMN brief_content SET COMPRESSION DEFAULT;
ALTER TABLE daily_briefs ALTER COLUMN summary_content SET COMPRESSION DEFAULT;
DROP INDEX IF EXISTS project_daily_briefs_user_id_brief_date_idx;
