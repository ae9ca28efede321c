#!/bin/sh
# The least-privilege roles of sql/roles/briefos-roles.sql, proven on a real
# database: the schema is migrated by the cluster's owner, the roles file is
# applied (twice: the second run must change nothing), and a LOGIN user per
# group role then does its program's normal work with only that role (a
# schedule sweep and a forced backfill; a generate drain; an email drain to a
# Maildir; every stats report; a migration down and up again), while each
# role is refused what it should not do: stats cannot write, email cannot
# drop a table or write briefs, schedule cannot edit a preference, generate
# cannot touch users or suppressions, and no program role may call the
# SECURITY DEFINER functions (but the ones each role is given: briefos_email
# resends and unsubscribes only through them, the web tier's briefos_web
# holds only the unsubscribe). Then every program runs in every documented
# mode with only its role (schedule with --engagement-backoff, dry runs and
# backfills; generate with the LLM stub, --force and --dry-run; email with
# --preview, --dry-run and each transport, refused and accepted; stats in
# every report and format), and the column grants are checked: briefos_email
# may write the state of a delivery, never its content, sender or
# recipients. Needs BRIEFOS_TEST_DATABASE_URL.
. "$BRIEFOS_SOURCE_DIR/tests/cli/lib.sh"
need_db

roles_sql="$src/sql/roles/briefos-roles.sql"
db=$(new_db roles)
sfx="$$_$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
logins="r_mig_$sfx r_sched_$sfx r_gen_$sfx r_mail_$sfx r_stats_$sfx r_queue_$sfx"
drop_logins() {
  for r in $logins; do
    $PSQL "$BRIEFOS_TEST_DATABASE_URL" -Xqc "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
  done
}
trap 'cleanup_dbs; drop_logins; rm -rf "$tmp"' EXIT

admin() { $PSQL "$db" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
# as USER: the test database's URL with USER instead of the cluster owner.
as() { echo "$db" | sed -E "s#^(postgres(ql)?://)[^@/]*@#\1$1@#"; }
# denied USER SQL: the statement fails with a privilege error.
denied() {
  if $PSQL "$(as "$1")" -XAtq -v ON_ERROR_STOP=1 -c "$2" >"$tmp/denied.out" 2>&1; then
    return 1
  fi
  grep -qE 'permission denied|must be owner' "$tmp/denied.out"
}
# privileges: every ACL and owner in the schema, one line each.
privileges() {
  admin "SELECT c.relname || ' ' || pg_get_userbyid(c.relowner) || ' ' || coalesce(c.relacl::text, '-')
           FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
  admin "SELECT c.relname || '.' || a.attname || ' ' || a.attacl::text
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relnamespace = 'public'::regnamespace AND a.attacl IS NOT NULL ORDER BY 1"
  admin "SELECT p.oid::regprocedure::text || ' ' || pg_get_userbyid(p.proowner) || ' '
                || coalesce(p.proacl::text, '-')
           FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1"
}

# --- the owner migrates; the roles file is applied, twice ---------------------
check "the owner migrates the schema" "$bin/briefos-migrate" --database-url "$db" -q up
$PSQL "$db" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
check "the roles file applies" sh -c "$PSQL '$db' -Xq -v ON_ERROR_STOP=1 -f '$roles_sql' >'$tmp/apply1' 2>&1"
privileges >"$tmp/acl1"
check "applying it again succeeds" sh -c "$PSQL '$db' -Xq -v ON_ERROR_STOP=1 -f '$roles_sql' >'$tmp/apply2' 2>&1"
privileges >"$tmp/acl2"
check "the second run changes no owner or privilege" cmp -s "$tmp/acl1" "$tmp/acl2"
check "the six group roles exist and cannot log in" test "$(admin "SELECT count(*) FROM pg_roles
  WHERE rolname IN ('briefos_migrate', 'briefos_schedule', 'briefos_generate', 'briefos_email',
                    'briefos_stats', 'briefos_queue') AND NOT rolcanlogin")" -eq 6
check "briefos_migrate owns every table, view, sequence and function" test "$(admin "
  SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace
            AND relkind IN ('r', 'v', 'S') AND relowner <> 'briefos_migrate'::regrole)
       + (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
            AND proowner <> 'briefos_migrate'::regrole)
       + (SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace
            AND typtype = 'e' AND typowner <> 'briefos_migrate'::regrole)")" -eq 0
check "briefos_stats holds SELECT and nothing else" test "$(admin "
  SELECT count(*) FROM information_schema.role_table_grants
   WHERE grantee = 'briefos_stats' AND privilege_type <> 'SELECT'"):$(admin "
  SELECT count(*) FROM information_schema.role_table_grants
   WHERE grantee = 'briefos_stats' AND privilege_type = 'SELECT'")" = "0:7"
# Widen a role by hand, then re-apply: the file puts back exactly its grants.
admin "GRANT DELETE ON users TO briefos_stats" >/dev/null
$PSQL "$db" -Xq -v ON_ERROR_STOP=1 -f "$roles_sql" >/dev/null 2>&1
privileges >"$tmp/acl3"
check "a re-run revokes a privilege granted by hand" cmp -s "$tmp/acl1" "$tmp/acl3"

# shellcheck disable=SC2086
set -- $logins
admin "CREATE ROLE $1 LOGIN IN ROLE briefos_migrate;
       CREATE ROLE $2 LOGIN IN ROLE briefos_schedule;
       CREATE ROLE $3 LOGIN IN ROLE briefos_generate;
       CREATE ROLE $4 LOGIN IN ROLE briefos_email;
       CREATE ROLE $5 LOGIN IN ROLE briefos_stats;
       CREATE ROLE $6 LOGIN IN ROLE briefos_queue" >/dev/null
mig=$1 sched=$2 gen=$3 mail=$4 stats=$5 queue=$6

# --- each program does its work with only its role ------------------------------
expect_status 0 "schedule: a sweep as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --now 2025-10-01T12:55:00Z --json
check "schedule: alice's brief was queued" test "$(admin "SELECT count(*) FROM queue_jobs
  WHERE job_type = 'generate_daily_brief' AND metadata->>'briefDate' = '2025-10-01'
    AND user_id = 'aaaaaaaa-0000-4000-8000-000000000001'")" -eq 1
check "schedule: the sweep recorded how far it got" \
  test "$(admin "SELECT swept_to AT TIME ZONE 'UTC' FROM schedule_state")" = "2025-10-01 13:15:00"
expect_status 0 "schedule: a forced backfill (cancel and queue) as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --user alice@example.com --date 2025-10-01 --force
check "schedule: the backfill cancelled the old job and queued a new one" \
  test "$(admin "SELECT string_agg(status::text, ',' ORDER BY id) FROM queue_jobs
    WHERE metadata->>'briefDate' = '2025-10-01' AND user_id = 'aaaaaaaa-0000-4000-8000-000000000001'")" = "cancelled,pending"

expect_status 0 "generate: a drain as briefos_generate" \
  "$bin/briefos-generate" --database-url "$(as "$gen")" --drain --json
cp "$tmp/out" "$tmp/gen.jsonl"
check "generate: alice's brief is stored" test "$(admin "SELECT count(*) FROM daily_briefs
  WHERE user_id = 'aaaaaaaa-0000-4000-8000-000000000001' AND brief_date = '2025-10-01'
    AND generation_status = 'completed'")" -eq 1
check "generate: its email and email job were created" test "$(admin "SELECT count(*) FROM emails e
  JOIN queue_jobs q ON q.metadata->>'emailId' = e.id::text AND q.job_type = 'generate_brief_email'")" -ge 1
expect_status 0 "generate: a backfill (queues with nextval) as briefos_generate" \
  "$bin/briefos-generate" --database-url "$(as "$gen")" --user bob@example.com --date 2025-10-01 --json
check "generate: bob's brief is stored" test "$(admin "SELECT count(*) FROM daily_briefs
  WHERE user_id = 'bbbbbbbb-0000-4000-8000-000000000002'")" -eq 1

expect_status 0 "email: a drain to a Maildir as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" --transport "maildir:$tmp/Maildir" \
  --base-url https://app.example.com --message-id-domain example.com --drain --json
check "email: the messages are in the Maildir" test "$(find "$tmp/Maildir/new" -type f | wc -l)" -ge 1
check "email: every email is recorded sent" test "$(admin "SELECT count(*) FROM emails WHERE status <> 'sent'")" -eq 0
check "email: the sent events were recorded" \
  test "$(admin "SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'")" -ge 1

# --- every documented mode, with only the program's role -------------------------
# The servers the programs talk to: the LLM stub, an SMTP server and a webhook
# receiver, all on loopback.
py=/usr/bin/python3
$py "$src/tests/cli/llm_stub.py" --port-file "$tmp/llm.port" --log "$tmp/llm.log" &
llm_pid=$!
mkfifo "$tmp/smtp.fifo" "$tmp/hook.fifo"
$py "$src/tests/cli/smtp_server.py" "$tmp/smtp" >"$tmp/smtp.fifo" 2>"$tmp/smtp.log" &
smtp_pid=$!
read -r smtp_port <"$tmp/smtp.fifo"
hook_secret="roles-hook-$sfx"
WEBHOOK_SECRET=$hook_secret $py "$src/tests/cli/webhook_receiver.py" "$tmp/hook" >"$tmp/hook.fifo" 2>"$tmp/hook.log" &
hook_pid=$!
read -r hook_port <"$tmp/hook.fifo"
trap 'kill $llm_pid $smtp_pid $hook_pid 2>/dev/null || true; cleanup_dbs; drop_logins; rm -rf "$tmp"' EXIT
i=0
while [ ! -s "$tmp/llm.port" ]; do
  i=$((i + 1))
  [ $i -lt 200 ] || { echo "LLM stub did not start" >&2; exit 1; }
  sleep 0.05
done
llm="http://127.0.0.1:$(cat "$tmp/llm.port")"
mailopts="--base-url https://app.example.com --message-id-domain example.com"
# due: make every pending job due now (retries wait otherwise).
due() { admin "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null; }
jobs_of() { admin "SELECT count(*) FROM queue_jobs WHERE job_type = '$1' AND status = '$2'"; }

expect_status 0 "schedule: a sweep with --engagement-backoff as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --now 2025-10-02T12:55:00Z --engagement-backoff --json
check "schedule: ... without a permission error" sh -c "! grep -q 'permission denied' '$tmp/err'"
expect_status 0 "schedule: a dry run with --engagement-backoff as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --now 2025-10-03T12:55:00Z --engagement-backoff --dry-run
expect_status 0 "schedule: a backfill of one date as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --user alice@example.com --date 2025-10-05 --json
expect_status 0 "schedule: a backfill of a date range for two users as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --user alice@example.com --user bob@example.com \
  --from 2025-10-06 --to 2025-10-07 --json
check "schedule: the backfills queued five briefs" test "$(admin "SELECT count(*) FROM queue_jobs
  WHERE job_type = 'generate_daily_brief' AND metadata->>'briefDate' BETWEEN '2025-10-05' AND '2025-10-07'")" -eq 5
expect_status 0 "schedule: a dry-run backfill as briefos_schedule" \
  "$bin/briefos-schedule" --database-url "$(as "$sched")" --user bob@example.com --date 2025-10-08 --dry-run

due
expect_status 0 "generate: a drain with the LLM as briefos_generate" \
  "$bin/briefos-generate" --database-url "$(as "$gen")" --drain --json --llm-url "$llm/ok" --llm-model stub-1
got="$(jobs_of generate_daily_brief pending):$(admin "SELECT count(*) || ':' || count(*) FILTER (
  WHERE llm_status = 'ok' AND user_id = 'aaaaaaaa-0000-4000-8000-000000000001') FROM daily_briefs
  WHERE brief_date BETWEEN '2025-10-05' AND '2025-10-07'")"
check "generate: ... every brief generated, alice's with an analysis (pending:briefs:analysed $got)" \
  test "$got" = "0:5:3"
expect_status 0 "generate: a forced backfill with the LLM as briefos_generate" \
  "$bin/briefos-generate" --database-url "$(as "$gen")" --user alice@example.com --date 2025-10-05 --force \
  --json --llm-url "$llm/ok" --llm-model stub-1
check "generate: ... with its analysis" grep -q '"llm":"ok"' "$tmp/out"
expect_status 0 "generate: a dry run as briefos_generate" \
  "$bin/briefos-generate" --database-url "$(as "$gen")" --user bob@example.com --date 2025-10-09 --dry-run

brief=$(admin "SELECT id FROM daily_briefs WHERE brief_date = '2025-10-05' AND user_id = 'aaaaaaaa-0000-4000-8000-000000000001'")
expect_status 0 "email: --preview as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --preview "$brief"
expect_status 0 "email: a dry run as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --dry-run --drain
# The webhook refuses (503: retried; 400: failed), then SMTP delivers: every
# way a delivery is recorded, with only briefos_email's grants.
printf 503 >"$tmp/hook/status"
BRIEFOS_WEBHOOK_SECRET=$hook_secret expect_status 1 "email: a refused webhook (503, retried) as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --drain \
  --transport "webhook+http://127.0.0.1:$hook_port/mail"
check "email: ... without a permission error" sh -c "! grep -q 'permission denied' '$tmp/err'"
check "email: ... recorded as a retry" test "$(admin "SELECT count(*) FROM emails
  WHERE status = 'pending' AND error_message LIKE '%HTTP 503%'")" -ge 1
printf 400 >"$tmp/hook/status"
due
one=$(admin "SELECT id FROM emails WHERE status = 'pending' ORDER BY id LIMIT 1")
echo "$one" >"$tmp/one"
BRIEFOS_WEBHOOK_SECRET=$hook_secret expect_status 1 "email: a refused webhook (400, failed) as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --jobs "$tmp/one" \
  --transport "webhook+http://127.0.0.1:$hook_port/mail"
check "email: ... recorded as failed with its event" test "$(admin "SELECT count(*) FROM emails e
  JOIN email_tracking_events t ON t.email_id = e.id AND t.event_type = 'failed'
  WHERE e.id = '$one' AND e.status = 'failed'")" -eq 1
printf 200 >"$tmp/hook/status"
two=$(admin "SELECT id FROM emails WHERE status = 'pending' ORDER BY id LIMIT 1")
echo "$two" >"$tmp/two"
due
BRIEFOS_WEBHOOK_SECRET=$hook_secret expect_status 0 "email: an accepted webhook as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --jobs "$tmp/two" \
  --transport "webhook+http://127.0.0.1:$hook_port/mail"
check "email: ... recorded as sent" test "$(admin "SELECT status FROM emails WHERE id = '$two'")" = sent
due
expect_status 0 "email: an SMTP drain as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" $mailopts --drain --json \
  --transport "smtp://127.0.0.1:$smtp_port?tls=none"
check "email: ... delivered over SMTP" test "$(find "$tmp/smtp" -name 'msg-*.eml' | wc -l)" -ge 1
check "email: nothing is left to send" test "$(admin "SELECT count(*) FROM emails WHERE status IN ('pending', 'sending')")" -eq 0

for report in "emails --by-variant" "queue --top 5" "health --max-queue-age 100000000"; do
  # shellcheck disable=SC2086
  expect_status 0 "stats: the $report report as briefos_stats" \
    "$bin/briefos-stats" --database-url "$(as "$stats")" --tz UTC $report
done
for format in csv prometheus html; do
  expect_status 0 "stats: the emails report as $format as briefos_stats" \
    "$bin/briefos-stats" --database-url "$(as "$stats")" --tz UTC --format "$format" emails
done

for report in emails briefs queue "user alice@example.com" health; do
  # shellcheck disable=SC2086
  expect_status 0 "stats: the $report report as briefos_stats" \
    "$bin/briefos-stats" --database-url "$(as "$stats")" --tz UTC $report
  # shellcheck disable=SC2086
  expect_status 0 "stats: the $report report as JSON as briefos_stats" \
    "$bin/briefos-stats" --database-url "$(as "$stats")" --tz UTC --json $report
done

expect_status 0 "migrate: status as briefos_migrate" "$bin/briefos-migrate" --database-url "$(as "$mig")" status
expect_status 0 "migrate: down one migration as briefos_migrate" \
  "$bin/briefos-migrate" --database-url "$(as "$mig")" -q down
expect_status 0 "migrate: up again as briefos_migrate" "$bin/briefos-migrate" --database-url "$(as "$mig")" -q up
check "migrate: the schema is back at the newest version" \
  "$bin/briefos-migrate" --database-url "$(as "$mig")" verify

# --- and none of them can do more ---------------------------------------------------
check "stats cannot INSERT" denied "$stats" "INSERT INTO users (email) VALUES ('x@example.com')"
check "stats cannot UPDATE" denied "$stats" "UPDATE queue_jobs SET priority = 1"
check "stats cannot DELETE" denied "$stats" "DELETE FROM emails"
check "stats cannot read what no report shows" denied "$stats" "SELECT count(*) FROM tasks"
expect_status 1 "briefos-schedule run as briefos_stats fails" \
  "$bin/briefos-schedule" --database-url "$(as "$stats")" --now 2025-10-02T12:55:00Z
check "... and says why" grep -q 'permission denied' "$tmp/err"
check "email cannot DROP a table" denied "$mail" "DROP TABLE emails"
check "email cannot write daily_briefs" denied "$mail" "UPDATE daily_briefs SET summary_content = ''"
check "email cannot insert daily_briefs" denied "$mail" \
  "INSERT INTO daily_briefs (user_id, brief_date) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', '2030-01-01')"
check "email cannot delete emails" denied "$mail" "DELETE FROM emails"
check "email cannot queue jobs" denied "$mail" "INSERT INTO queue_jobs (job_type, metadata) VALUES ('other', '{}')"
# Column by column: briefos_email writes the state of a delivery, never what
# it says or to whom; briefos_schedule reads when a brief was emailed, not
# what it said; briefos_generate rewrites an email's subject, not its address.
check "email cannot change a recipient's address" denied "$mail" \
  "UPDATE email_recipients SET recipient_email = 'attacker@example.net'"
check "email may only copy the user's own address onto a recipient" \
  $PSQL "$(as "$mail")" -XAtq -v ON_ERROR_STOP=1 -c "SELECT briefos_recipient_follow_user(gen_random_uuid())"
check "stats cannot call the recipient function" denied "$stats" \
  "SELECT briefos_recipient_follow_user(gen_random_uuid())"
check "email cannot change an email's content" denied "$mail" "UPDATE emails SET content = 'x'"
check "email cannot change an email's sender" denied "$mail" "UPDATE emails SET from_email = 'x@example.net'"
check "email cannot change an email's subject" denied "$mail" "UPDATE emails SET subject = 'x'"
check "email cannot rewrite job metadata" denied "$mail" "UPDATE queue_jobs SET metadata = '{}'"
check "email cannot move a job to another user" denied "$mail" "UPDATE queue_jobs SET user_id = NULL"
check "email can still record a delivery's state" \
  $PSQL "$(as "$mail")" -XAtq -v ON_ERROR_STOP=1 -c "UPDATE emails SET error_message = error_message WHERE false"
check "schedule cannot read an email's content" denied "$sched" "SELECT content FROM emails LIMIT 1"
check "schedule cannot read a recipient" denied "$sched" "SELECT recipient_email FROM email_recipients LIMIT 1"
check "schedule cannot write emails" denied "$sched" "UPDATE emails SET status = 'cancelled'"
check "generate cannot change a recipient's address" denied "$gen" \
  "UPDATE email_recipients SET recipient_email = 'attacker@example.net'"
check "generate cannot change an email's sender" denied "$gen" "UPDATE emails SET from_email = 'x@example.net'"
check "generate cannot rewrite job metadata" denied "$gen" "UPDATE queue_jobs SET metadata = '{}'"
check "schedule cannot edit a preference" denied "$sched" \
  "UPDATE user_brief_preferences SET next_run_at = now()"
check "schedule cannot rewrite job metadata" denied "$sched" "UPDATE queue_jobs SET metadata = '{}'"
check "schedule cannot write briefs" denied "$sched" "DELETE FROM daily_briefs"
check "generate cannot change users" denied "$gen" "UPDATE users SET email = 'x@example.com'"
check "generate cannot delete jobs" denied "$gen" "DELETE FROM queue_jobs"
check "generate cannot lift suppressions" denied "$gen" "DELETE FROM email_suppressions"
check "generate cannot create tables" denied "$gen" "CREATE TABLE public.evil (id int)"
for r in "$sched" "$gen" "$mail" "$stats"; do
  check "$r cannot call the SECURITY DEFINER get_pending_brief_emails()" denied "$r" \
    "SELECT * FROM get_pending_brief_emails(10)"
done
# briefos-queue: list, show, retry, cancel and prune with only its role.
expect_status 0 "queue: list as briefos_queue" "$bin/briefos-queue" --database-url "$(as "$queue")" list --format json
expect_status 0 "queue: cancel every pending job as briefos_queue" \
  "$bin/briefos-queue" --database-url "$(as "$queue")" cancel --status pending --all
expect_status 0 "queue: retry them as briefos_queue" \
  "$bin/briefos-queue" --database-url "$(as "$queue")" retry --status cancelled --all
expect_status 0 "queue: prune as briefos_queue" \
  "$bin/briefos-queue" --database-url "$(as "$queue")" prune --older-than 1s
check "queue cannot rewrite job metadata" denied "$queue" "UPDATE queue_jobs SET metadata = '{}'"
check "queue cannot queue jobs" denied "$queue" "INSERT INTO queue_jobs (job_type, metadata) VALUES ('other', '{}')"
check "queue cannot change a recipient's address" denied "$queue" \
  "UPDATE email_recipients SET recipient_email = 'attacker@example.net'"
check "queue cannot read briefs" denied "$queue" "SELECT summary_content FROM daily_briefs LIMIT 1"
check "briefos_migrate can still call it (the owner)" \
  $PSQL "$(as "$mig")" -XAtq -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM get_pending_brief_emails(10)"

# --- briefos-email's operator commands with only briefos_email (issue 18) --------
web="r_web_$sfx"
logins="$logins $web"
admin "CREATE ROLE $web LOGIN IN ROLE briefos_web" >/dev/null
sent=$(admin "SELECT id FROM emails WHERE status = 'sent' AND category = 'daily_brief' ORDER BY id LIMIT 1")
expect_status 0 "email: resend as briefos_email" "$bin/briefos-email" --database-url "$(as "$mail")" resend "$sent"
check "email: ... queued a new email to the user's address and its job" test "$(admin "SELECT count(*)
  FROM emails e JOIN email_recipients r ON r.email_id = e.id JOIN users u ON u.id = e.created_by
  JOIN queue_jobs q ON q.dedup_key = 'email-' || e.id AND q.status = 'pending'
 WHERE e.resent_from = '$sent' AND r.recipient_email = u.email")" -eq 1
expect_status 0 "email: the resend delivered as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" --transport "maildir:$tmp/Maildir" $mailopts --drain
check "email: ... recorded sent" test "$(admin "SELECT status FROM emails WHERE resent_from = '$sent'")" = sent
expect_status 0 "email: suppress as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" suppress someone@example.net
expect_status 0 "email: suppressions as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" suppressions --json
check "email: ... lists it" grep -q '"address":"someone@example.net"' "$tmp/out"
expect_status 0 "email: unsuppress as briefos_email" \
  "$bin/briefos-email" --database-url "$(as "$mail")" unsuppress someone@example.net
check "email: ... removed" test "$(admin "SELECT count(*) FROM email_suppressions WHERE email = 'someone@example.net'")" -eq 0
tok=$(admin "SELECT unsubscribe_token FROM email_recipients WHERE email_id = '$sent'")
expect_status 0 "email: unsubscribe as briefos_email" "$bin/briefos-email" --database-url "$(as "$mail")" unsubscribe "$tok"
check "email: ... recorded the unsubscribed event" \
  test "$(admin "SELECT count(*) FROM email_tracking_events WHERE event_type = 'unsubscribed'")" -eq 1
other_type() {
  ! $PSQL "$(as "$mail")" -XAtq -v ON_ERROR_STOP=1 \
    -c "SELECT * FROM briefos_resend_email('$sent', false, 'generate_daily_brief', 'x', 1, 1)" 2>"$tmp/rf" \
    && grep -q 'generate_brief_email jobs only' "$tmp/rf"
}
check "email cannot queue another job type through the resend function" other_type
check "web: briefos_web may call briefos_unsubscribe" \
  test "$($PSQL "$(as "$web")" -XAtq -v ON_ERROR_STOP=1 -c "SELECT outcome FROM briefos_unsubscribe('$tok')")" \
       = already_unsubscribed
check "web cannot read emails" denied "$web" "SELECT count(*) FROM emails"
check "web cannot lift suppressions" denied "$web" "DELETE FROM email_suppressions"
check "web cannot call the resend function" denied "$web" \
  "SELECT * FROM briefos_resend_email('$sent', true, 'generate_brief_email', 'email-', 5, 3)"
for r in "$sched" "$gen" "$stats" "$queue"; do
  check "$r cannot call briefos_unsubscribe" denied "$r" "SELECT * FROM briefos_unsubscribe('$tok')"
  check "$r cannot call briefos_resend_email" denied "$r" \
    "SELECT * FROM briefos_resend_email('$sent', true, 'generate_brief_email', 'email-', 5, 3)"
done

finish
