-- Seed for the fault-injection tests (tests/cli/fault_*.test.sh) and
-- bench/faults: :count opted-in users (UTC), each with one active project
-- whose tasks make a non-empty brief for :date (one starts that day, one is
-- overdue, one is upcoming, one was completed that day) and a pending
-- generate_daily_brief job for :date with :max_attempts attempts.
-- Every id is derived from (:prefix, n), so two databases seeded alike hold
-- the same ids and their results can be compared row for row.
--   psql -v prefix=f -v count=2000 -v date=2025-10-01 -v max_attempts=3 -f fault_seed.sql
WITH u AS (
  INSERT INTO users (id, email, name)
  SELECT md5(:'prefix' || '-user-' || g)::uuid, :'prefix' || g || '@example.org', 'Fault user ' || g
    FROM generate_series(1, :count) g
  RETURNING id
), p AS (
  INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)
  SELECT id, 'UTC', true FROM u
), pr AS (
  INSERT INTO projects (id, user_id, name, description, status, created_at)
  SELECT md5(:'prefix' || '-project-' || g)::uuid, md5(:'prefix' || '-user-' || g)::uuid,
         'Project ' || g, 'Project of user ' || g, 'active', DATE :'date' - 30
    FROM generate_series(1, :count) g
  RETURNING id, user_id
)
INSERT INTO tasks (id, project_id, user_id, title, status, priority, start_date, completed_at, updated_at)
SELECT md5(pr.id::text || '-task-' || t)::uuid, pr.id, pr.user_id,
       (ARRAY['Starts today', 'Overdue', 'Upcoming', 'Done today'])[t],
       (ARRAY['backlog', 'in_progress', 'backlog', 'done'])[t]::task_status,
       (ARRAY['high', 'medium', 'low', 'medium'])[t]::priority_level,
       (ARRAY[DATE :'date' + time '10:00', DATE :'date' - 3 + time '10:00',
              DATE :'date' + 2 + time '10:00', NULL])[t] AT TIME ZONE 'UTC',
       CASE WHEN t = 4 THEN (DATE :'date' + time '08:00') AT TIME ZONE 'UTC' END,
       (DATE :'date' - 1) AT TIME ZONE 'UTC'
  FROM pr, generate_series(1, 4) t;

INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key, max_attempts)
SELECT 'generate_daily_brief', u.id,
       jsonb_build_object('userId', u.id, 'briefDate', :'date', 'timezone', 'UTC',
                          'options', '{}'::jsonb),
       'brief-' || u.id || '-' || :'date', :max_attempts
  FROM users u
 WHERE u.email LIKE :'prefix' || '%@example.org';
