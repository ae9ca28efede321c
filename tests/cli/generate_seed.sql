-- Seed data for the briefos-generate shell tests: a fixed scenario around
-- brief date 2025-10-01 (America/New_York, UTC-4 that day).
--   alice: two active projects (one with a current phase), a paused one,
--          deleted/outdated/old-done tasks that must not show; opted in.
--   bob:   no projects at all; opted in.
--   carol: one active project; not opted in.
INSERT INTO users (id, email, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000001', 'alice@example.com', 'Alice'),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'bob@example.com', 'Bob'),
  ('cccccccc-0000-4000-8000-000000000003', 'carol@example.com', 'Carol');

INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000001', 'America/New_York', true),
  ('bbbbbbbb-0000-4000-8000-000000000002', 'Europe/Berlin', true),
  ('cccccccc-0000-4000-8000-000000000003', 'Asia/Tokyo', false);

INSERT INTO projects (id, user_id, name, description, status, created_at) VALUES
  ('10000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001',
   'Website relaunch', 'New site before Q4 ends.', 'active', '2025-01-01T00:00:00Z'),
  ('10000000-0000-4000-8000-000000000002', 'aaaaaaaa-0000-4000-8000-000000000001',
   'Paused thing', NULL, 'paused', '2025-01-02T00:00:00Z'),
  ('10000000-0000-4000-8000-000000000003', 'aaaaaaaa-0000-4000-8000-000000000001',
   'Reading', NULL, 'active', '2025-01-03T00:00:00Z'),
  ('10000000-0000-4000-8000-000000000004', 'cccccccc-0000-4000-8000-000000000003',
   'Carol project', NULL, 'active', '2025-01-04T00:00:00Z');

INSERT INTO tasks (id, project_id, user_id, title, description, status, priority, start_date,
                   completed_at, outdated, deleted_at, updated_at) VALUES
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Write landing copy', 'Hero and pricing.',
   'in_progress', 'high', '2025-10-01T14:00:00Z', NULL, false, NULL, '2025-09-30T10:00:00Z'),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Fix footer links', NULL,
   'backlog', 'medium', '2025-10-01T03:59:00Z', NULL, false, NULL, '2025-09-30T09:00:00Z'),
  ('20000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Plan launch party', NULL,
   'backlog', 'low', '2025-10-03T14:00:00Z', NULL, false, NULL, '2025-09-30T08:00:00Z'),
  ('20000000-0000-4000-8000-000000000004', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Deleted task', NULL,
   'backlog', 'medium', '2025-10-01T15:00:00Z', NULL, false, '2025-09-30T00:00:00Z', '2025-09-30T07:00:00Z'),
  ('20000000-0000-4000-8000-000000000005', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Outdated task', NULL,
   'backlog', 'medium', '2025-09-20T15:00:00Z', NULL, true, NULL, '2025-09-30T06:00:00Z'),
  ('20000000-0000-4000-8000-000000000006', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Buy domain', NULL,
   'done', 'medium', NULL, '2025-10-01T20:00:00Z', false, NULL, '2025-10-01T20:00:00Z'),
  ('20000000-0000-4000-8000-000000000007', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Old done task', NULL,
   'done', 'medium', NULL, '2025-09-25T20:00:00Z', false, NULL, '2025-10-01T21:00:00Z'),
  ('20000000-0000-4000-8000-000000000008', '10000000-0000-4000-8000-000000000003',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Read chapter 2', NULL,
   'backlog', 'medium', '2025-10-02T13:00:00Z', NULL, false, NULL, '2025-09-30T05:00:00Z'),
  ('20000000-0000-4000-8000-000000000009', '10000000-0000-4000-8000-000000000003',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Return library books', NULL,
   'backlog', 'medium', '2025-10-04T13:00:00Z', NULL, false, NULL, '2025-09-30T04:00:00Z'),
  ('20000000-0000-4000-8000-000000000010', '10000000-0000-4000-8000-000000000004',
   'cccccccc-0000-4000-8000-000000000003', 'Carol task', NULL,
   'backlog', 'medium', '2025-10-01T01:00:00Z', NULL, false, NULL, '2025-09-30T04:00:00Z');

INSERT INTO task_calendar_events (task_id, user_id, calendar_event_id) VALUES
  ('20000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001', 'evt-1');

INSERT INTO notes (id, project_id, user_id, title, content, updated_at) VALUES
  ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Kickoff', 'Soft launch agreed.', '2025-09-30T18:05:00Z'),
  ('30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Ancient note', 'Too old to show.', '2025-08-01T18:05:00Z');

INSERT INTO phases (id, project_id, user_id, name, description, start_date, end_date, "order") VALUES
  ('40000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000003',
   'aaaaaaaa-0000-4000-8000-000000000001', 'Chapter one', 'Finish the first part.',
   '2025-09-25', '2025-10-10', 1);

INSERT INTO phase_tasks (phase_id, task_id) VALUES
  ('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000008');
