#!/bin/sh
# Malformed rows from the database: preferences with invalid zones, times
# and weekdays (briefos-schedule); generate_daily_brief jobs whose metadata
# is not a JSON object or has wrong types and values (briefos-generate);
# generate_brief_email jobs with bad metadata and emails whose brief, row or
# recipient is unusable (briefos-email); timestamps of 'infinity' and
# '-infinity' in a task, a note and a user, and tasks, notes and phases of
# another user inside a user's project (briefos-generate). Each bad row is
# reported with its id and skipped or failed for good (not retried), and the
# good rows of the same batch go through.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

url=$(new_migrated_db hostrows)
sql() { $PSQL "$url" -XAtqc "$1"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
alice=aaaaaaaa-0000-4000-8000-000000000001
bob=bbbbbbbb-0000-4000-8000-000000000002

# --- preferences ------------------------------------------------------------------
check "the schema refuses a weekday outside 0..6" \
  sh -c "! $PSQL '$url' -XAtqc \"UPDATE user_brief_preferences SET day_of_week = 7\" 2>/dev/null"
check "the schema refuses time 25:00" \
  sh -c "! $PSQL '$url' -XAtqc \"UPDATE user_brief_preferences SET time_of_day = '25:00'\" 2>/dev/null"
sql "INSERT INTO users (id, email, name)
     SELECT ('00000000-0000-4000-8000-0000000000' || lpad(g::text, 2, '0'))::uuid, 'p' || g || '@example.com', 'P' || g
       FROM generate_series(1, 13) g" >/dev/null
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO user_brief_preferences (user_id, timezone, frequency, day_of_week, time_of_day) VALUES
 ('00000000-0000-4000-8000-000000000001', 'Mars/Olympus', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000002', '../../../../etc/passwd', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000003', 'UTC+5', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000004', 'x''; DROP TABLE users; --', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000005', repeat('A', 100000), 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000006', 'Europe/Berlin ', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000007', E'Europe/Berlin\r\nInjected: line', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000008', 'posix/Europe/Berlin', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000009', 'Europe/Berlin', 'weekly', 3, '24:00'),
 ('00000000-0000-4000-8000-000000000010', 'utc', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000011', 'UTC', 'daily', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000012', 'UTC', 'weekly', NULL, '09:00'),
 ('00000000-0000-4000-8000-000000000013', 'UTC', 'weekly', 1, '09:00');
SQL
# Only the 13 users above may be due: the seed's own users are moved aside.
sql "UPDATE user_brief_preferences SET is_active = false WHERE user_id::text NOT LIKE '00000000-%'" >/dev/null
# Monday 2025-10-06 08:59 UTC: due at 09:00 are the daily UTC user, and the
# weekly users for Monday, including the one with no weekday (Monday is the
# documented default).
run_timed sched "$bin/briefos-schedule" --database-url "$url" --json --now 2025-10-06T08:59:00Z
check "schedule exits 1 when some preferences are invalid" test "$rc" -eq 1
check "schedule queues the three valid users" \
  test "$(sql "SELECT string_agg(right(user_id::text, 2), ',' ORDER BY user_id) FROM queue_jobs")" = "11,12,13"
check "schedule prints one JSON line per queued job, nothing else on stdout" test "$(wc -l <"$tmp/sched.out")" -eq 3
for n in 01 02 03 04 05 06 07 08 09 10; do
  if grep -q "user 00000000-0000-4000-8000-0000000000$n: invalid brief preference" "$tmp/sched.err"; then
    ok "invalid preference of user ..$n reported with the user id"
  else not_ok "invalid preference of user ..$n reported"; show "$tmp/sched.err"; fi
done
check "the summary counts 10 invalid preferences" grep -q 'invalid preference 10' "$tmp/sched.err"
check "an invalid zone is never replaced by UTC (no job for the bad users)" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE right(user_id::text, 2)::int <= 10")" -eq 0
check "a CR/LF in a zone does not split the warning into two log lines" \
  sh -c "! grep -q '^Injected: line' '$tmp/sched.err'"
sql "DELETE FROM queue_jobs" >/dev/null

# --- generate_daily_brief jobs with bad metadata, one batch -------------------------
good=$(sql "INSERT INTO queue_jobs (job_type, metadata) VALUES ('generate_daily_brief',
            '{\"userId\": \"$alice\", \"briefDate\": \"2025-10-01\"}') RETURNING id")
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO queue_jobs (job_type, metadata, dedup_key) VALUES
 ('generate_daily_brief', '[]', 'bad-array'),
 ('generate_daily_brief', '"string"', 'bad-string'),
 ('generate_daily_brief', '42', 'bad-number'),
 ('generate_daily_brief', '{"userId": 42, "briefDate": "2025-10-01"}', 'bad-user-type'),
 ('generate_daily_brief', '{"userId": "not-a-uuid", "briefDate": "2025-10-01"}', 'bad-user-uuid'),
 ('generate_daily_brief', '{"userId": "x''); DROP TABLE users; --", "briefDate": "2025-10-01"}', 'bad-user-sql'),
 ('generate_daily_brief', '{"userId": "ffffffff-0000-4000-8000-000000000001", "briefDate": "2025-10-01"}', 'bad-user-missing'),
 ('generate_daily_brief', '{"briefDate": "2025-10-01"}', 'bad-user-none'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-13-45"}', 'bad-date'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": 20251001}', 'bad-date-type'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-01''; DROP TABLE daily_briefs; --"}', 'bad-date-sql'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-02", "timezone": 42}', 'bad-zone-type'),
 ('generate_daily_brief', '{"userId": "$bob", "briefDate": "2025-10-02", "timezone": "Mars/Olympus"}', 'bad-zone');
SQL
# Bob's own preference is valid; the job's zone only counts without one.
sql "DELETE FROM user_brief_preferences WHERE user_id = '$bob'" >/dev/null
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO queue_jobs (job_type, metadata, dedup_key) VALUES
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-03", "options": "not an object"}', 'odd-options'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-04", "options": {"isReengagement": true, "daysSinceLastLogin": 1e300}}', 'odd-days-huge'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-05", "options": {"isReengagement": true, "daysSinceLastLogin": 99999999999}}', 'odd-days-long'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "2025-10-06", "options": {"isReengagement": "yes", "daysSinceLastLogin": -5}}', 'odd-days-negative'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "0001-01-01"}', 'odd-year-1'),
 ('generate_daily_brief', '{"userId": "$alice", "briefDate": "9999-12-31"}', 'odd-year-9999');
SQL
run_timed gen "$bin/briefos-generate" --database-url "$url" --drain --batch 50 --json
check "generate exits 1 (some jobs failed)" test "$rc" -eq 1
check "the good job in the same batch completed" test "$(sql "SELECT status FROM queue_jobs WHERE id = $good")" = completed
check "all 13 bad jobs failed for good on their first attempt" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE dedup_key LIKE 'bad-%' AND status = 'failed' AND attempts = 1")" -eq 13
for k in $(sql "SELECT id FROM queue_jobs WHERE dedup_key LIKE 'bad-%' ORDER BY id"); do
  if grep -q "job $k (generate_daily_brief) failed: ." "$tmp/gen.err"; then ok "bad job $k reported with its id and reason"
  else not_ok "bad job $k reported"; show "$tmp/gen.err"; fi
done
check "the reasons name the problem" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE dedup_key LIKE 'bad-%' AND error_message ~ '(JSON object|userId|uuid|does not exist|date|timezone|briefDate|time zone|zone)'")" -eq 13
check "odd but usable options: the six jobs completed" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE dedup_key LIKE 'odd-%' AND status = 'completed'")" -eq 6
check "daysSinceLastLogin 1e300 and 99999999999 are clamped to a century, -5 to 0" \
  test "$(sql "SELECT string_agg(metadata->>'days_since_last_login', ',' ORDER BY brief_date) FROM daily_briefs WHERE user_id = '$alice' AND brief_date BETWEEN '2025-10-04' AND '2025-10-06'")" = "36500,36500,0"
check "every JSON line has a job id and a status" \
  test "$(grep -c '"job_id":[0-9]*,.*"status":"\(completed\|failed\)"' "$tmp/gen.out")" -eq 20
check "tables intact after the SQL-looking metadata" \
  test "$(sql "SELECT count(*) FROM users")/$(sql "SELECT count(*) >= 6 FROM daily_briefs")" = "16/t"

# --- generate_brief_email jobs and unusable email rows, one batch ------------------
# Eight pending emails (tests/cli/email_seed.sql), each but the last broken
# a different way.
sql "DELETE FROM queue_jobs WHERE job_type = 'generate_brief_email'" >/dev/null
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix=row -v count=8 -f "$src/tests/cli/email_seed.sql" >/dev/null
sql "DELETE FROM queue_jobs WHERE job_type = 'generate_brief_email'" >/dev/null
sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'row%' ORDER BY u.email" >"$tmp/emails"
e() { sed -n "${1}p" "$tmp/emails"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
DELETE FROM daily_briefs WHERE id::text = (SELECT template_data->>'brief_id' FROM emails WHERE id = '$(e 1)');
UPDATE emails SET template_data = '{"brief_id": "garbage'' OR 1=1 --"}' WHERE id = '$(e 2)';
UPDATE emails SET template_data = '[1]' WHERE id = '$(e 3)';
DELETE FROM email_recipients WHERE email_id = '$(e 4)';
INSERT INTO email_recipients (email_id, recipient_email) VALUES ('$(e 5)', 'second@example.com');
UPDATE emails SET status = 'draft' WHERE id = '$(e 7)';
INSERT INTO queue_jobs (job_type, metadata, dedup_key)
SELECT 'generate_brief_email', jsonb_build_object('emailId', e.id), 'row-' || right(u.email, 13)
  FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'row%';
-- The address is the user's at send time (issue 16): a CRLF in it is the user's.
UPDATE users SET email = E'x@y.example\r\nBcc: evil@evil.example' WHERE id = (SELECT created_by FROM emails WHERE id = '$(e 6)');
INSERT INTO queue_jobs (job_type, metadata, dedup_key) VALUES
 ('generate_brief_email', '[]', 'meta-array'), ('generate_brief_email', '"x"', 'meta-string'),
 ('generate_brief_email', '{"emailId": 42}', 'meta-number'),
 ('generate_brief_email', '{"emailId": "not-a-uuid"}', 'meta-uuid'),
 ('generate_brief_email', '{"emailId": "x''); DROP TABLE emails; --"}', 'meta-sql'),
 ('generate_brief_email', '{"emailId": "ffffffff-ffff-4fff-8fff-ffffffffffff"}', 'meta-missing');
SQL
run_timed email "$bin/briefos-email" --database-url "$url" --transport "maildir:$tmp/Maildir" --drain --batch 50 --json
check "email exits 1 (some emails failed)" test "$rc" -eq 1
check "the good email (row 8) was sent, and only it" \
  test "$(sql "SELECT status FROM emails WHERE id = '$(e 8)'"):$(ls "$tmp/Maildir/new" | wc -l)" = "sent:1"
check "email whose brief is gone: cancelled with the reason" \
  test "$(sql "SELECT status || ':' || error_message FROM emails WHERE id = '$(e 1)'")" = "cancelled:the brief no longer exists"
check "email whose template_data names no real brief: cancelled, no SQL error" \
  test "$(sql "SELECT string_agg(status, ',') FROM emails WHERE id IN ('$(e 2)', '$(e 3)')")" = "cancelled,cancelled"
check "email with no recipient or two recipients: failed for good" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE dedup_key IN ('row-4@example.org', 'row-5@example.org') AND status = 'failed' AND attempts = 1")" -eq 2
crlf_user=$(sql "SELECT status || ':' || error_message FROM emails WHERE id = '$(e 6)'")
check "a user whose address holds CR LF and a Bcc: cancelled with the reason, nothing sent ($crlf_user)" \
  test "$crlf_user" = "cancelled:the user has no valid email address"
check "a draft email is not sent: its job failed" \
  test "$(sql "SELECT q.status || ':' || e.status FROM queue_jobs q JOIN emails e ON e.id::text = q.metadata->>'emailId' WHERE q.dedup_key = 'row-7@example.org'")" = "failed:draft"
check "six jobs with bad metadata failed for good" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE dedup_key LIKE 'meta-%' AND status = 'failed' AND attempts = 1")" -eq 6
for k in $(sql "SELECT id FROM queue_jobs WHERE job_type = 'generate_brief_email' AND status = 'failed' ORDER BY id"); do
  if grep -q "job $k (generate_brief_email) failed: ." "$tmp/email.err"; then ok "failed email job $k reported with its id"
  else not_ok "failed email job $k reported"; show "$tmp/email.err"; fi
done
check "one JSON line per job (14)" test "$(wc -l <"$tmp/email.out")" -eq 14 || show "$tmp/email.out"
check "no suppression was added for any of this" test "$(sql "SELECT count(*) FROM email_suppressions")" -eq 0
check "no job left pending or processing" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status IN ('pending', 'processing')")" -eq 0
check "tables intact" test "$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'row%' OR u.email LIKE 'x@y.example%'")" -eq 8

# --- rows of another user inside carol's project ------------------------------------
# BuildOS selected a project's tasks, notes and phases by project alone; the
# projects are single-owner, so a row of another user there is not the
# owner's to be briefed on (ARCHITECTURE.md, deviations).
carol=cccccccc-0000-4000-8000-000000000003
cproj=10000000-0000-4000-8000-000000000004
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO tasks (id, project_id, user_id, title, status, start_date, updated_at) VALUES
 ('30000000-0000-4000-8000-000000000003', '$cproj', '$alice', 'Intruder task', 'backlog', '2025-10-01T02:00:00Z', '2025-09-30T00:00:00Z');
INSERT INTO notes (id, project_id, user_id, title, content, updated_at) VALUES
 ('40000000-0000-4000-8000-000000000002', '$cproj', '$carol', 'Carol note', 'y', '2025-09-30T12:00:00Z'),
 ('40000000-0000-4000-8000-000000000003', '$cproj', '$alice', 'Intruder note', 'z', '2025-09-30T12:00:00Z');
INSERT INTO phases (id, project_id, user_id, name, start_date, end_date, "order") VALUES
 ('50000000-0000-4000-8000-000000000001', '$cproj', '$alice', 'Intruder phase', '2025-09-01', '2025-12-31', 1);
INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key) VALUES
 ('generate_daily_brief', '$carol', '{"userId": "$carol", "briefDate": "2025-10-01"}', 'intruder-carol');
SQL
run_timed intr "$bin/briefos-generate" --database-url "$url" --drain --json
brief_of_carol() { sql "SELECT summary_content FROM daily_briefs WHERE user_id = '$carol' AND brief_date = '$1'"; }
check "carol's brief (with another user's rows in her project) completed, with her own task and note" \
  sh -c "printf '%s' \"\$1\" | grep -q 'Carol task' && printf '%s' \"\$1\" | grep -q 'Carol note'" _ "$(brief_of_carol 2025-10-01)"
check "tasks, notes and phases of another user in carol's project are not in her brief" \
  sh -c "test -n \"\$1\" && ! printf '%s' \"\$1\" | grep -q 'Intruder'" _ "$(brief_of_carol 2025-10-01)"
check "the other user's task does not count in carol's summary (one task today)" \
  sh -c "printf '%s' \"\$1\" | grep -q '1 task starting today'" _ "$(brief_of_carol 2025-10-01)"

# --- non-finite timestamps: a data error of one row ---------------------------------
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
UPDATE users SET last_visit = '-infinity' WHERE id = '$carol';
INSERT INTO tasks (id, project_id, user_id, title, status, start_date, completed_at, updated_at) VALUES
 ('30000000-0000-4000-8000-000000000001', '$cproj', '$carol', 'Infinite start', 'backlog', 'infinity', NULL, '2025-09-30T00:00:00Z'),
 ('30000000-0000-4000-8000-000000000002', '$cproj', '$carol', 'Infinite done', 'done', NULL, 'infinity', '-infinity');
INSERT INTO notes (id, project_id, user_id, title, content, updated_at) VALUES
 ('40000000-0000-4000-8000-000000000001', '$cproj', '$carol', 'Infinite note', 'x', 'infinity');
INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key) VALUES
 ('generate_daily_brief', '$carol', '{"userId": "$carol", "briefDate": "2025-10-02"}', 'infinite-carol');
SQL
run_timed inf "$bin/briefos-generate" --database-url "$url" --drain --json
check "a brief with infinite timestamps completes on its first attempt" \
  test "$(sql "SELECT status || ':' || attempts FROM queue_jobs WHERE dedup_key = 'infinite-carol'")" = "completed:1"
check "the good rows of that brief are in it" \
  sh -c "printf '%s' \"\$1\" | grep -q 'Carol task' && printf '%s' \"\$1\" | grep -q 'Carol note'" _ "$(brief_of_carol 2025-10-02)"
check "a task whose start_date is infinity has no start, one completed at infinity is not recent" \
  sh -c "test -n \"\$1\" && ! printf '%s' \"\$1\" | grep -q 'Infinite start\|Infinite done'" _ "$(brief_of_carol 2025-10-02)"
check "a note whose updated_at is infinity is not a recent note" \
  sh -c "test -n \"\$1\" && ! printf '%s' \"\$1\" | grep -q 'Infinite note'" _ "$(brief_of_carol 2025-10-02)"
for row in "task 30000000-0000-4000-8000-000000000001: start_date" "task 30000000-0000-4000-8000-000000000002: completed_at, updated_at" \
           "note 40000000-0000-4000-8000-000000000001: updated_at" "user $carol: last_visit"; do
  if [ "$(grep -c "$row is not a finite time" "$tmp/inf.err")" -eq 1 ]; then ok "logged once: $row"
  else not_ok "logged once: $row"; show "$tmp/inf.err"; fi
done
run_timed infdry "$bin/briefos-generate" --database-url "$url" --dry-run --user carol@example.com --date 2025-10-02
check "--dry-run --user of a user whose last_visit is -infinity: exit 0, the brief printed" \
  sh -c "test $rc -eq 0 && grep -q 'Carol task' '$tmp/infdry.out'"
finish
