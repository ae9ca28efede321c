-- Demo data for scripts/demo: 36 users in 12 time zones with projects,
-- tasks (due today, overdue, upcoming, done), notes and phases.
-- Deterministic ids (md5 of a label), so running it again changes nothing
-- but the preferred times, which are set a minute ahead of each user's local
-- clock so that every demo user is due when the demo runs.
BEGIN;

WITH zones(n, tz) AS (
  VALUES (0, 'America/New_York'), (1, 'Europe/Berlin'), (2, 'Asia/Tokyo'),
         (3, 'America/Los_Angeles'), (4, 'Australia/Sydney'), (5, 'Asia/Kolkata'),
         (6, 'Asia/Kathmandu'), (7, 'UTC'), (8, 'America/Sao_Paulo'),
         (9, 'Pacific/Auckland'), (10, 'Africa/Nairobi'), (11, 'Europe/London')
), people AS (
  SELECT g AS i, md5('demo-user-' || g)::uuid AS id,
         (ARRAY['Ada','Grace','Linus','Margaret','Ken','Barbara','Dennis','Frances','Edsger','Radia','Donald','Hedy'])[1 + g % 12]
           || ' ' || (ARRAY['Lovelace','Hopper','Torvalds','Hamilton','Thompson','Liskov','Ritchie','Allen','Dijkstra','Perlman','Knuth','Lamarr'])[1 + (g * 7) % 12] AS name,
         (SELECT tz FROM zones WHERE n = g % 12) AS tz
  FROM generate_series(1, 36) g
)
INSERT INTO users (id, email, name, last_visit)
SELECT id, 'user' || i || '@demo.briefos.test', name, now() - (i % 3) * interval '1 day' FROM people
ON CONFLICT (id) DO NOTHING;

INSERT INTO user_brief_preferences (user_id, frequency, day_of_week, time_of_day, timezone, is_active, email_daily_brief)
SELECT md5('demo-user-' || g)::uuid, 'daily', NULL, '09:00',
       (ARRAY['America/New_York','Europe/Berlin','Asia/Tokyo','America/Los_Angeles','Australia/Sydney','Asia/Kolkata',
              'Asia/Kathmandu','UTC','America/Sao_Paulo','Pacific/Auckland','Africa/Nairobi','Europe/London'])[1 + g % 12],
       true, g % 4 <> 0  -- every fourth user opted out of email
FROM generate_series(1, 36) g
ON CONFLICT (user_id) DO NOTHING;

-- Due now: a minute ahead of each user's local time (next_run_at is
-- recomputed by briefos-schedule from these).
UPDATE user_brief_preferences p
SET time_of_day = date_trunc('minute', (now() AT TIME ZONE p.timezone) + interval '1 minute')::time,
    next_run_at = NULL
WHERE p.user_id IN (SELECT md5('demo-user-' || g)::uuid FROM generate_series(1, 36) g);

INSERT INTO projects (id, user_id, name, slug, description, status)
SELECT md5('demo-project-' || u || '-' || p)::uuid, md5('demo-user-' || u)::uuid,
       (ARRAY['Website relaunch','Quarterly report','Mobile app','Hiring','Conference talk','Home renovation'])[1 + (u + p) % 6],
       'project-' || u || '-' || p,
       CASE WHEN p = 1 THEN 'The main thing this quarter.' END,
       CASE WHEN p = 4 THEN 'archived'::project_status ELSE 'active'::project_status END
FROM generate_series(1, 36) u, generate_series(1, CASE WHEN u % 9 = 0 THEN 0 ELSE 4 END) p
ON CONFLICT (id) DO NOTHING;

INSERT INTO tasks (id, project_id, user_id, title, description, status, priority, start_date, completed_at)
SELECT md5('demo-task-' || u || '-' || p || '-' || t)::uuid,
       md5('demo-project-' || u || '-' || p)::uuid, md5('demo-user-' || u)::uuid,
       (ARRAY['Draft the outline','Review pull requests','Call the supplier','Write tests','Update the budget',
              'Prepare slides','Send the invoice','Plan the sprint','Fix the login bug','Book the venue'])[1 + (u * 3 + p * 5 + t) % 10],
       CASE WHEN t % 3 = 0 THEN 'Remember to loop in the team.' END,
       (CASE WHEN t % 5 = 0 THEN 'done' WHEN t % 5 = 1 THEN 'in_progress' WHEN t % 7 = 0 THEN 'blocked' ELSE 'backlog' END)::task_status,
       (CASE WHEN t % 4 = 0 THEN 'high' WHEN t % 4 = 1 THEN 'low' ELSE 'medium' END)::priority_level,
       now() + ((t % 9) - 4) * interval '1 day',
       CASE WHEN t % 5 = 0 THEN now() - interval '3 hours' END
FROM generate_series(1, 36) u, generate_series(1, 3) p, generate_series(1, 8) t
WHERE u % 9 <> 0
ON CONFLICT (id) DO NOTHING;

INSERT INTO notes (id, user_id, project_id, title, content)
SELECT md5('demo-note-' || u || '-' || p)::uuid, md5('demo-user-' || u)::uuid,
       md5('demo-project-' || u || '-' || p)::uuid, 'Meeting notes', 'Agreed to ship the first version on Friday.'
FROM generate_series(1, 36) u, generate_series(1, 3) p
WHERE u % 9 <> 0
ON CONFLICT (id) DO NOTHING;

INSERT INTO phases (id, project_id, user_id, name, description, start_date, end_date, "order")
SELECT md5('demo-phase-' || u)::uuid, md5('demo-project-' || u || '-1')::uuid, md5('demo-user-' || u)::uuid,
       'Build', 'Make it work, then make it nice.', current_date - 7, current_date + 14, 1
FROM generate_series(1, 36) u
WHERE u % 9 <> 0
ON CONFLICT (id) DO NOTHING;

INSERT INTO phase_tasks (phase_id, task_id)
SELECT md5('demo-phase-' || u)::uuid, md5('demo-task-' || u || '-1-' || t)::uuid
FROM generate_series(1, 36) u, generate_series(1, 8) t
WHERE u % 9 <> 0
ON CONFLICT (phase_id, task_id) DO NOTHING;

COMMIT;
