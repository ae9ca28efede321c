-- A known history for briefos-stats tests (tests/db/test_db_stats.cpp and
-- tests/cli/stats.test.sh). Brief and email rows sit on fixed dates
-- (2025-03-09 .. 2025-03-12, before the 2025-03-30 DST change) so reports
-- with --until 2025-03-12 are exact; queue jobs are relative to now().
-- Every expected number is written down in the tests next to the check.

INSERT INTO users (id, email, name) VALUES
  ('00000000-0000-4000-8000-00000000000a', 'alice@example.com', 'Alice'),
  ('00000000-0000-4000-8000-00000000000b', 'bob@example.com', 'Bob'),
  ('00000000-0000-4000-8000-00000000000c', 'carol@example.com', NULL);

INSERT INTO user_brief_preferences (user_id, timezone, time_of_day, is_active, email_daily_brief) VALUES
  ('00000000-0000-4000-8000-00000000000a', 'Europe/Berlin', '07:30', true, true),
  ('00000000-0000-4000-8000-00000000000b', 'America/New_York', '09:00', true, false);

-- daily_briefs: 03-10 alice done 10 s (LLM ok, 3 projects), bob done 20 s
-- (empty, LLM skipped, 1 project), carol failed; 03-11 alice done 40 s (LLM
-- failed but analysis text kept, 2 projects), bob pending; 03-09 outside.
INSERT INTO daily_briefs (id, user_id, brief_date, generation_status, generation_started_at,
                          generation_completed_at, llm_status, llm_analysis, project_count,
                          is_empty, generation_error) VALUES
  ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000000a', '2025-03-10',
   'completed', '2025-03-10 05:00:00+00', '2025-03-10 05:00:10+00', 'ok', 'Focus on X.', 3, false, NULL),
  ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-00000000000b', '2025-03-10',
   'completed', '2025-03-10 13:00:00+00', '2025-03-10 13:00:20+00', 'skipped', NULL, 1, true, NULL),
  ('10000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-00000000000c', '2025-03-10',
   'failed', '2025-03-10 06:00:00+00', NULL, NULL, NULL, 0, false, 'LLM timeout'),
  ('10000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-00000000000a', '2025-03-11',
   'completed', '2025-03-11 05:00:00+00', '2025-03-11 05:00:40+00', 'failed', 'Partial analysis.', 2, false, NULL),
  ('10000000-0000-4000-8000-000000000005', '00000000-0000-4000-8000-00000000000b', '2025-03-11',
   'pending', NULL, NULL, NULL, NULL, 0, false, NULL),
  ('10000000-0000-4000-8000-000000000006', '00000000-0000-4000-8000-00000000000a', '2025-03-09',
   'completed', '2025-03-09 05:00:00+00', '2025-03-09 05:01:00+00', 'ok', 'Old.', 5, false, NULL);

-- Daily-brief emails (UTC creation times; e5 at 23:30 UTC is 03-12 in Berlin):
--   e1 03-10 sent after 60 s, opened twice, variant A   (alice 03-10 brief)
--   e2 03-10 sent after 180 s, not opened, variant B    (no brief)
--   e3 03-10 failed, recipient bounced, variant A       (bob 03-10 brief)
--   e4 03-11 cancelled "user opted out"                 (alice 03-11 brief)
--   e5 03-11 23:30 pending                              (no brief)
--   e6 03-12 sent after 30 s, opened, variant B         (no brief)
--   e7 03-09 sent (outside the window); e8 03-10 category general (not a brief email)
INSERT INTO emails (id, subject, from_email, from_name, status, created_by, category,
                    template_data, subject_variant, error_message, created_at, sent_at) VALUES
  ('20000000-0000-4000-8000-000000000001', 'Daily Brief', 'b@x', 'briefos', 'sent',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief',
   '{"brief_id": "10000000-0000-4000-8000-000000000001", "brief_date": "2025-03-10"}', 'A', NULL,
   '2025-03-10 08:00:00+00', '2025-03-10 08:01:00+00'),
  ('20000000-0000-4000-8000-000000000002', 'Daily Brief', 'b@x', 'briefos', 'sent',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief',
   '{"brief_id": "10000000-0000-4000-8000-0000000000ff"}', 'B', NULL,
   '2025-03-10 09:00:00+00', '2025-03-10 09:03:00+00'),
  ('20000000-0000-4000-8000-000000000003', 'Daily Brief', 'b@x', 'briefos', 'failed',
   '00000000-0000-4000-8000-00000000000b', 'daily_brief',
   '{"brief_id": "10000000-0000-4000-8000-000000000002"}', 'A', NULL,
   '2025-03-10 10:00:00+00', NULL),
  ('20000000-0000-4000-8000-000000000004', 'Daily Brief', 'b@x', 'briefos', 'cancelled',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief',
   '{"brief_id": "10000000-0000-4000-8000-000000000004"}', NULL, 'user opted out',
   '2025-03-11 07:00:00+00', NULL),
  ('20000000-0000-4000-8000-000000000005', 'Daily Brief', 'b@x', 'briefos', 'pending',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief', '{}', NULL, NULL,
   '2025-03-11 23:30:00+00', NULL),
  ('20000000-0000-4000-8000-000000000006', 'Daily Brief', 'b@x', 'briefos', 'sent',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief', '{}', 'B', NULL,
   '2025-03-12 06:00:00+00', '2025-03-12 06:00:30+00'),
  ('20000000-0000-4000-8000-000000000007', 'Daily Brief', 'b@x', 'briefos', 'sent',
   '00000000-0000-4000-8000-00000000000a', 'daily_brief', '{}', NULL, NULL,
   '2025-03-09 12:00:00+00', '2025-03-09 12:00:05+00'),
  ('20000000-0000-4000-8000-000000000008', 'Welcome', 'b@x', 'briefos', 'sent',
   '00000000-0000-4000-8000-00000000000a', 'general', '{}', NULL, NULL,
   '2025-03-10 12:00:00+00', '2025-03-10 12:00:01+00');

INSERT INTO email_recipients (email_id, recipient_email, status, sent_at, opened_at, open_count,
                              error_message, created_at) VALUES
  ('20000000-0000-4000-8000-000000000001', 'alice@example.com', 'sent', '2025-03-10 08:01:00+00',
   '2025-03-10 09:15:00+00', 2, NULL, '2025-03-10 08:00:00+00'),
  ('20000000-0000-4000-8000-000000000002', 'alice@example.com', 'sent', '2025-03-10 09:03:00+00',
   NULL, 0, NULL, '2025-03-10 09:00:00+00'),
  ('20000000-0000-4000-8000-000000000003', 'bob@example.com', 'bounced', NULL,
   NULL, 0, '550 mailbox unavailable', '2025-03-10 10:00:00+00'),
  ('20000000-0000-4000-8000-000000000004', 'alice@example.com', 'cancelled', NULL,
   NULL, 0, NULL, '2025-03-11 07:00:00+00'),
  ('20000000-0000-4000-8000-000000000005', 'alice@example.com', 'pending', NULL,
   NULL, 0, NULL, '2025-03-11 23:30:00+00'),
  ('20000000-0000-4000-8000-000000000006', 'alice@example.com', 'sent', '2025-03-12 06:00:30+00',
   '2025-03-12 07:00:00+00', 1, NULL, '2025-03-12 06:00:00+00'),
  ('20000000-0000-4000-8000-000000000007', 'alice@example.com', 'sent', '2025-03-09 12:00:05+00',
   NULL, 0, NULL, '2025-03-09 12:00:00+00'),
  ('20000000-0000-4000-8000-000000000008', 'alice@example.com', 'sent', '2025-03-10 12:00:01+00',
   '2025-03-10 12:30:00+00', 1, NULL, '2025-03-10 12:00:00+00');

-- Queue, relative to now():
--   generate_daily_brief: pending due 20 min and 5 min ago, pending in 1 h;
--     processing with a live lease, processing with an expired lease;
--     3 completed 1 h ago; failed 2 h ago: 2 x "LLM timeout" (alice), 1 x
--     "no projects"; failed 3 days ago: 1 x "ancient"; 1 cancelled.
--   generate_brief_email: pending due 1 min ago; 2 completed; 1 failed 30 min
--     ago "550 mailbox unavailable".
INSERT INTO queue_jobs (job_type, status, user_id, scheduled_for, locked_by, locked_until,
                        completed_at, error_message, metadata) VALUES
  ('generate_daily_brief', 'pending', NULL, now() - interval '20 minutes', NULL, NULL, NULL, NULL, '{}'),
  ('generate_daily_brief', 'pending', NULL, now() - interval '5 minutes', NULL, NULL, NULL, NULL, '{}'),
  ('generate_daily_brief', 'pending', NULL, now() + interval '1 hour', NULL, NULL, NULL, NULL, '{}'),
  ('generate_daily_brief', 'processing', NULL, now() - interval '1 minute', 'w1', now() + interval '5 minutes', NULL, NULL, '{}'),
  ('generate_daily_brief', 'processing', NULL, now() - interval '10 minutes', 'w2', now() - interval '1 minute', NULL, NULL, '{}'),
  ('generate_daily_brief', 'completed', NULL, now() - interval '61 minutes', NULL, NULL, now() - interval '1 hour', NULL, '{}'),
  ('generate_daily_brief', 'completed', NULL, now() - interval '61 minutes', NULL, NULL, now() - interval '1 hour', NULL, '{}'),
  ('generate_daily_brief', 'completed', NULL, now() - interval '61 minutes', NULL, NULL, now() - interval '1 hour', NULL, '{}'),
  ('generate_daily_brief', 'failed', '00000000-0000-4000-8000-00000000000a', now() - interval '3 hours', NULL, NULL, now() - interval '2 hours', 'LLM timeout', '{"brief_date": "2025-03-12"}'),
  ('generate_daily_brief', 'failed', '00000000-0000-4000-8000-00000000000a', now() - interval '3 hours', NULL, NULL, now() - interval '2 hours', 'LLM timeout', '{"brief_date": "2025-03-12"}'),
  ('generate_daily_brief', 'failed', NULL, now() - interval '3 hours', NULL, NULL, now() - interval '2 hours', 'no projects', '{}'),
  ('generate_daily_brief', 'failed', NULL, now() - interval '4 days', NULL, NULL, now() - interval '3 days', 'ancient', '{}'),
  ('generate_daily_brief', 'cancelled', NULL, now() - interval '2 hours', NULL, NULL, now() - interval '2 hours', 'cancelled by operator', '{}'),
  ('generate_brief_email', 'pending', NULL, now() - interval '1 minute', NULL, NULL, NULL, NULL, '{"emailId": "x"}'),
  ('generate_brief_email', 'completed', NULL, now() - interval '2 hours', NULL, NULL, now() - interval '2 hours', NULL, '{"emailId": "x"}'),
  ('generate_brief_email', 'completed', NULL, now() - interval '2 hours', NULL, NULL, now() - interval '2 hours', NULL, '{"emailId": "x"}'),
  ('generate_brief_email', 'failed', NULL, now() - interval '40 minutes', NULL, NULL, now() - interval '30 minutes', '550 mailbox unavailable', '{"emailId": "x"}');
