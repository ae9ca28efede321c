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
# SECURITY DEFINER functions. Needs BRIEFOS_TEST_DATABASE_URL.
. "$BRIEFOS_SOURCE_DIR/tests/cli/lib.sh"
need_db

roles_sql="$src/sql/roles/briefos-roles.sql"
db=$(new_db roles)
sfx="$$_$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
logins="r_mig_$sfx r_sched_$sfx r_gen_$sfx r_mail_$sfx r_stats_$sfx"
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
check "the five group roles exist and cannot log in" test "$(admin "SELECT count(*) FROM pg_roles
  WHERE rolname IN ('briefos_migrate', 'briefos_schedule', 'briefos_generate', 'briefos_email',
                    'briefos_stats') AND NOT rolcanlogin")" -eq 5
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
   WHERE grantee = 'briefos_stats' AND privilege_type = 'SELECT'")" = "0:6"
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
       CREATE ROLE $5 LOGIN IN ROLE briefos_stats" >/dev/null
mig=$1 sched=$2 gen=$3 mail=$4 stats=$5

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
check "briefos_migrate can still call it (the owner)" \
  $PSQL "$(as "$mig")" -XAtq -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM get_pending_brief_emails(10)"

finish
