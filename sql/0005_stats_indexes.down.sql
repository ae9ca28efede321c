-- Reverts 0005_stats_indexes.

DROP INDEX IF EXISTS queue_jobs_user_id_created_at_idx;
DROP INDEX IF EXISTS emails_daily_brief_created_at_idx;
