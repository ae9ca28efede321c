-- Seed :count opted-in users, each with a completed brief for 2025-10-01, a
-- pending daily-brief email, its recipient and its generate_brief_email job,
-- exactly as briefos-generate hands them over. Used by tests/cli/email_*.test.sh
-- and bench/email. Variables: prefix (address prefix), count.
--   psql -v prefix=t1 -v count=3 -f email_seed.sql
WITH u AS (
  INSERT INTO users (email, name)
  SELECT :'prefix' || g || '@example.org', 'Ada ' || :'prefix' || g
    FROM generate_series(1, :count) g
  RETURNING id, email, name
), p AS (
  INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)
  SELECT id, 'Europe/Berlin', true FROM u
), b AS (
  INSERT INTO daily_briefs (user_id, brief_date, summary_content, generation_status,
                            generation_completed_at)
  SELECT id, DATE '2025-10-01',
         E'# Daily Brief - Wednesday, October 1, 2025\n\n'
         || E'## Executive Summary\n\nYou have **3 active projects** with 2 tasks today '
         || E'and 1 overdue. Caf\u00e9 r\u00e9sum\u00e9 \u2014 \u2600\ufe0f\n\n'
         || E'## Launch website\n\n'
         || E'- [Write the landing copy](/projects/11111111-2222-4333-8444-555555555555/tasks/1) (high)\n'
         || E'- Review <script>alert(1)</script> & fix the footer\n'
         || E'- /tasks/8a0b7c7e-0000-4000-8000-000000000001\n\n'
         || E'| Project | Today | Overdue |\n|---|---|---|\n| Launch website | 2 | 1 |\n\n'
         || E'See [the docs](https://example.com/docs) and [a bad link](javascript:alert(1)).\n',
         'completed', now()
    FROM u
  RETURNING id, user_id
), e AS (
  INSERT INTO emails (subject, content, from_email, from_name, status, created_by, category,
                      tracking_enabled, template_data)
  SELECT 'Daily Brief - Wed, Oct 1', '', 'briefs@example.com', 'briefos', 'pending', b.user_id,
         'daily_brief', true,
         jsonb_build_object('brief_id', b.id, 'brief_date', '2025-10-01', 'user_id', b.user_id,
                            'timezone', 'Europe/Berlin', 'is_reengagement', false)
    FROM b
  RETURNING id, created_by, template_data
), r AS (
  INSERT INTO email_recipients (email_id, recipient_email, recipient_name, recipient_type, status)
  SELECT e.id, u.email, u.name, 'to', 'pending' FROM e JOIN u ON u.id = e.created_by
)
INSERT INTO queue_jobs (job_type, user_id, metadata, priority, dedup_key)
SELECT 'generate_brief_email', e.created_by,
       jsonb_build_object('emailId', e.id, 'userId', e.created_by,
                          'briefId', e.template_data->>'brief_id'),
       5, 'email-' || e.id
  FROM e;
