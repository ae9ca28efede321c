#!/bin/sh
# briefos-schedule end to end: usage errors, and a sweep whose --json lines
# a reader (jq, as the next program of a pipeline would) consumes.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/fault_lib.sh
. "$src/tests/cli/fault_lib.sh"

sched=$bin/briefos-schedule

# Bad flags exit 2 before any database is touched (the URL is unreachable).
nodb="postgresql://nobody@127.0.0.1:1/none"
expect_status 2 "--now that is not a timestamp" "$sched" --database-url "$nodb" --now yesterday
expect_status 2 "--date that is not a date" "$sched" --database-url "$nodb" --date 2026-02-30
check "bad date message" grep -q 'invalid value "2026-02-30" for option --date' "$tmp/err"
expect_status 2 "--from after --to" "$sched" --database-url "$nodb" --from 2026-01-12 --to 2026-01-10
check "from/to message" grep -q -- '--from 2026-01-12 is after --to 2026-01-10' "$tmp/err"
expect_status 2 "--from without --to" "$sched" --database-url "$nodb" --from 2026-01-12
expect_status 2 "--lookahead that is not a duration" "$sched" --database-url "$nodb" --lookahead soon
expect_status 2 "--force outside a backfill" "$sched" --database-url "$nodb" --force
expect_status 2 "--no-email outside a backfill" "$sched" --database-url "$nodb" --no-email
check "--no-email message" grep -q -- '--no-email only applies to a backfill' "$tmp/err"
expect_status 3 "unreachable database" "$sched" --database-url "$nodb"

need_db
url=$(new_migrated_db sched)
$PSQL "$url" -Xq <<'SQL'
INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 50) g;
INSERT INTO user_brief_preferences (user_id, time_of_day, timezone, updated_at)
SELECT id, '09:00', (ARRAY['America/New_York', 'America/Chicago'])[1 + (row_number() OVER ())::int % 2],
       '2026-01-01'
  FROM users;
SQL

# 13:50Z: New York's 09:00 (14:00Z) is due within the lookahead, Chicago's
# (15:00Z) is not.
if "$sched" --database-url "$url" --now 2026-01-15T13:50:00Z --json >"$tmp/jobs" 2>"$tmp/summary"
then ok "sweep exits 0"; else not_ok "sweep exits 0"; fi
check "25 JSON lines on stdout" test "$(wc -l <"$tmp/jobs")" -eq 25
# jq_all FILTER FILE: FILTER holds for every JSON line of FILE.
jq_all() { jq -s -e "all(.[]; $1)" "$2" >/dev/null; }
check "every line has the four fields" jq_all \
  '(.job_id | type == "number") and (.user_id | length == 36) and .brief_date == "2026-01-15" and .scheduled_for == "2026-01-15T13:58:00Z"' \
  "$tmp/jobs"
jq -r .job_id "$tmp/jobs" | sort -n >"$tmp/ids"
$PSQL "$url" -XAtc "SELECT id FROM queue_jobs WHERE status = 'pending' ORDER BY id" >"$tmp/db_ids"
check "the ids read from stdout are the queued jobs" cmp -s "$tmp/ids" "$tmp/db_ids"
check "summary on stderr" grep -q 'queued 25, already queued 0' "$tmp/summary"

"$sched" --database-url "$url" --now 2026-01-15T13:55:00Z --json >"$tmp/again" 2>/dev/null
check "a second sweep queues nothing" test ! -s "$tmp/again"

# Pipeline form, as the next program would read it.
"$sched" --database-url "$url" --now 2026-01-15T14:50:00Z --json 2>/dev/null \
  | jq -r '.user_id' >"$tmp/piped"
check "pipeline reader gets the Chicago users" test "$(wc -l <"$tmp/piped")" -eq 25

# An invalid zone is reported by user id and makes the exit status 1.
bad=$($PSQL "$url" -XAtc "UPDATE user_brief_preferences SET timezone = 'Nowhere/Land'
  WHERE user_id = (SELECT id FROM users WHERE email = 'user1@example.com') RETURNING user_id")
expect_status 1 "invalid preference exits 1" "$sched" --database-url "$url" --now 2026-01-16T13:50:00Z
check "invalid zone reported with the user id" \
  grep -q "user $bad: invalid brief preference: Invalid timezone \"Nowhere/Land\"" "$tmp/err"
check "the others were still queued" test "$(wc -l <"$tmp/out")" -gt 1

# --- the window inserts shared over several connections --------------------------
# 240 users in 240 zones of America, Europe and Asia, at scattered times:
# more than one statement's worth of windows (64), so --connections 3 shares
# them. The same data swept with --connections 1 must queue the same jobs.
seed_zones() {
  $PSQL "$1" -Xq <<'SQL'
INSERT INTO users (email) SELECT 'z' || g || '@example.com' FROM generate_series(1, 240) g;
INSERT INTO user_brief_preferences (user_id, time_of_day, timezone, updated_at)
SELECT u.id, make_time((u.n % 24)::int, (u.n * 7 % 60)::int, 0), z.name, '2026-01-01'
  FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM users) u
  JOIN (SELECT name, row_number() OVER (ORDER BY name) AS n FROM pg_timezone_names
         WHERE name ~ '^(America|Europe|Asia)/[A-Za-z_]+$') z ON z.n = u.n;
SQL
}
u1=$(new_migrated_db sched_one)
u3=$(new_migrated_db sched_three)
seed_zones "$u1"
seed_zones "$u3"
check "240 users in 240 zones (the shared case is not vacuous)" \
  test "$($PSQL "$u3" -XAtc "SELECT count(DISTINCT timezone) FROM user_brief_preferences")" -eq 240
as_of="--now 2026-01-15T12:00:00Z --catch-up 1d"
# shellcheck disable=SC2086
"$sched" --database-url "$u3" $as_of --connections 3 --dry-run --json >"$tmp/dry3" 2>"$tmp/dry3.err"
check "--dry-run with 3 connections commits nothing" \
  test "$($PSQL "$u3" -XAtc "SELECT count(*) FROM queue_jobs")" -eq 0
# shellcheck disable=SC2086
"$sched" --database-url "$u1" $as_of --connections 1 --json >"$tmp/one" 2>"$tmp/one.err"
# shellcheck disable=SC2086
"$sched" --database-url "$u3" $as_of --connections 3 --json --log-level debug >"$tmp/three" 2>"$tmp/three.err"
check "the inserts were shared: several statements on 3 connections" \
  grep -q 'window inserts: [0-9]* statement(s) on 3 connection(s)' "$tmp/three.err"
check "--dry-run listed what the sweep then queued" test "$(wc -l <"$tmp/dry3")" -eq "$(wc -l <"$tmp/three")"
jobs_of() {
  $PSQL "$1" -XAtc "SELECT u.email, q.metadata->>'briefDate', q.scheduled_for, q.dedup_key LIKE 'brief-' || u.id || '-%'
                      FROM queue_jobs q JOIN users u ON u.id = q.user_id ORDER BY 1, 2"
}
jobs_of "$u1" >"$tmp/jobs1"
jobs_of "$u3" >"$tmp/jobs3"
check "3 connections queue the same jobs as 1 (and some)" \
  test -s "$tmp/jobs3" -a "$(wc -l <"$tmp/jobs3")" -ge 240
check "3 connections queue the same jobs as 1: same users, dates and times" cmp -s "$tmp/jobs1" "$tmp/jobs3"
jq -r .job_id "$tmp/three" | sort -n >"$tmp/ids3"
$PSQL "$u3" -XAtc "SELECT id FROM queue_jobs ORDER BY id" >"$tmp/db_ids3"
check "3 connections: every id on stdout is a committed job, and every job is on stdout" cmp -s "$tmp/ids3" "$tmp/db_ids3"
# shellcheck disable=SC2086
"$sched" --database-url "$u3" --now 2026-01-15T12:05:00Z --catch-up 1d --connections 3 --json >"$tmp/three2" 2>/dev/null
check "3 connections: the next sweep queues nothing twice" \
  test "$($PSQL "$u3" -XAtc "SELECT count(*) = count(DISTINCT dedup_key) FROM queue_jobs")" = t
# A role allowed one connection: the extra connections fail, and the sweep
# goes on with one, queueing everything.
u4=$(new_migrated_db sched_limit)
seed_zones "$u4"
role="briefos_limit_$$"
$PSQL "$u4" -Xq -c "CREATE ROLE $role LOGIN CONNECTION LIMIT 1" \
  -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO $role" -c "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO $role"
# shellcheck disable=SC2086
if "$sched" --database-url "$(echo "$u4" | sed "s#://[^@]*@#://$role@#")" $as_of --connections 3 --json \
  >"$tmp/limit" 2>"$tmp/limit.err"
then ok "connection limit 1: the sweep exits 0"; else not_ok "connection limit 1: the sweep exits 0"; sed 's/^/  | /' "$tmp/limit.err"; fi
check "connection limit 1: the failed extra connections are reported" \
  grep -q 'an extra connection for the sweep.s inserts failed' "$tmp/limit.err"
jobs_of "$u4" >"$tmp/jobs4"
check "connection limit 1: the same jobs as with one connection" cmp -s "$tmp/jobs1" "$tmp/jobs4"
$PSQL "$u4" -Xq -c "DROP OWNED BY $role" -c "DROP ROLE $role"
# A backfill's job for one of the due runs, inserted but not committed: the
# share that meets it waits 10 s for the row lock, hands that statement to
# the main connection and finishes; the main connection does it again after
# the other shares committed, waiting for the backfill as a sweep without
# shares would. When the backfill commits the sweep ends with exit 0, the
# run counted as already queued, every other run queued once.
u5=$(new_migrated_db sched_wait)
seed_zones "$u5"
# shellcheck disable=SC2086
"$sched" --database-url "$u5" $as_of --dry-run --json >"$tmp/dry5" 2>/dev/null
due5=$(wc -l <"$tmp/dry5")
held_user=$(head -n 1 "$tmp/dry5" | jq -r .user_id)
held_key="brief-$held_user-$(head -n 1 "$tmp/dry5" | jq -r .brief_date)"
mkfifo "$tmp/blocker"
$PSQL "$u5" -Xq -v ON_ERROR_STOP=1 <"$tmp/blocker" >"$tmp/blocker.out" 2>&1 &
blocker=$!
exec 7>"$tmp/blocker"
at_exit "exec 7>&-; kill $blocker 2>/dev/null || true"
echo "BEGIN; INSERT INTO queue_jobs (job_type, user_id, dedup_key) VALUES ('generate_daily_brief', '$held_user', '$held_key');" >&7
poll_until 30 sql_true "$u5" "SELECT count(*) = 1 FROM pg_stat_activity
                                 WHERE datname = current_database() AND state = 'idle in transaction'"
# shellcheck disable=SC2086
"$sched" --database-url "$u5" $as_of --connections 2 --json >"$tmp/wait.out" 2>"$tmp/wait.err" &
sweeper=$!
poll_until 60 grep -q 'waited on a row lock; doing it again after the other shares' "$tmp/wait.err"
check "a statement that met the backfill's row is still waiting, not failed" kill -0 "$sweeper"
echo "COMMIT;" >&7
exec 7>&-
set +e; wait "$sweeper"; rc=$?; set -e
check "the sweep that waited on a backfill exits 0" test "$rc" -eq 0
check "the backfill's run counted as already queued, the others queued" \
  grep -q "queued $((due5 - 1)), already queued 1," "$tmp/wait.err"
check "every due run has exactly one job, the backfill's among them" \
  test "$($PSQL "$u5" -XAtc "SELECT count(*) || ':' || count(DISTINCT dedup_key) || ':' || count(*) FILTER (WHERE dedup_key = '$held_key') FROM queue_jobs")" = "$due5:$due5:1"
expect_status 2 "--connections 0 is refused" "$sched" --database-url "$u3" --connections 0
expect_status 2 "--connections 9 is refused" "$sched" --database-url "$u3" --connections 9

finish
