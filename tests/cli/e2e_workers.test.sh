#!/bin/sh
# Several workers share one queue: 2,000 users due now, one briefos-schedule
# sweep, then three briefos-generate --drain processes and three
# long-running briefos-email workers (maildir transport, one shared Maildir)
# all started at once. The email workers pick up brief emails while the
# briefs are still being generated (LISTEN/NOTIFY, with a short poll as a
# backstop); once every email is sent they get SIGTERM and must exit 0.
#
# Each brief and each email exactly once: counted in the database (one
# completed brief per user, one sent email per brief, no job twice) and in
# the Maildir (one file per email, no Message-ID twice, every stored email
# delivered), and every process did part of the work.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

n=2000
url=$(new_migrated_db e2e_workers)
sql() { $PSQL "$url" -XAtqc "$1"; }
md="$tmp/maildir"

# Users in four zones, each due a minute from now in their own zone, each
# with one active project and one task starting today (so every brief has
# something in it and is emailed).
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v n="$n" <<'SQL' >/dev/null
INSERT INTO users (id, email, name)
SELECT md5('w-user-' || g)::uuid, 'worker' || g || '@example.com', 'Worker ' || g
  FROM generate_series(1, :n) g;
INSERT INTO user_brief_preferences (user_id, frequency, time_of_day, timezone, is_active, email_daily_brief)
SELECT md5('w-user-' || g)::uuid, 'daily',
       date_trunc('minute', (now() AT TIME ZONE z.tz) + interval '1 minute')::time, z.tz, true, true
  FROM generate_series(1, :n) g,
       LATERAL (SELECT (ARRAY['UTC', 'Asia/Kolkata', 'America/New_York', 'Australia/Sydney'])[1 + g % 4] AS tz) z;
INSERT INTO projects (id, user_id, name, status)
SELECT md5('w-project-' || g)::uuid, md5('w-user-' || g)::uuid, 'Project of worker ' || g, 'active'
  FROM generate_series(1, :n) g;
INSERT INTO tasks (project_id, user_id, title, status, priority, start_date)
SELECT md5('w-project-' || g)::uuid, md5('w-user-' || g)::uuid, 'Task of worker ' || g, 'backlog', 'high', now()
  FROM generate_series(1, :n) g;
SQL
check "$n users seeded" test "$(sql "SELECT count(*) FROM user_brief_preferences WHERE is_active AND email_daily_brief")" -eq "$n"

expect_status 0 "one sweep queues every user" "$bin/briefos-schedule" --database-url "$url" -q --json
check "the sweep queued $n jobs" test "$(wc -l <"$tmp/out")" -eq "$n"

# --- three generators and three mailers at once ---------------------------------------
pids_gen=""
pids_email=""
for i in 1 2 3; do
  "$bin/briefos-email" --database-url "$url" -q --json --transport "maildir:$md" --poll-interval 200 \
    >"$tmp/email.$i" 2>"$tmp/email.$i.err" &
  pids_email="$pids_email $!"
done
for i in 1 2 3; do
  "$bin/briefos-generate" --database-url "$url" -q --json --drain --concurrency 2 \
    >"$tmp/gen.$i" 2>"$tmp/gen.$i.err" &
  pids_gen="$pids_gen $!"
done
trap 'for p in $pids_email $pids_gen; do kill "$p" 2>/dev/null || true; done; cleanup_dbs; rm -rf "$tmp"' EXIT

i=1
for p in $pids_gen; do
  if wait "$p"; then ok "generator $i exits 0"; else not_ok "generator $i exits 0"; sed 's/^/  | /' "$tmp/gen.$i.err" | head; fi
  i=$((i + 1))
done

# Wait (bounded) until the mailers have sent every email.
tries=0
while [ "$(sql "SELECT count(*) FROM emails WHERE status = 'sent'")" -lt "$n" ] && [ "$tries" -lt 600 ]; do
  tries=$((tries + 1))
  sleep 0.2
done
sent=$(sql "SELECT count(*) FROM emails WHERE status = 'sent'")
check "all $n emails sent within 2 minutes of the last generator (saw $sent sent)" test "$sent" -eq "$n"
for p in $pids_email; do kill -TERM "$p" 2>/dev/null || true; done
i=1
for p in $pids_email; do
  if wait "$p"; then ok "mailer $i exits 0 on SIGTERM"; else not_ok "mailer $i exits 0 on SIGTERM"; sed 's/^/  | /' "$tmp/email.$i.err" | head; fi
  i=$((i + 1))
done
pids_email=""
pids_gen=""

# --- exactly once, in the database --------------------------------------------------
check "one completed brief per user" \
  test "$(sql "SELECT count(DISTINCT user_id) || ' ' || count(*) FROM daily_briefs WHERE generation_status = 'completed'")" = "$n $n"
check "one brief job per user, all completed on the first attempt" \
  test "$(sql "SELECT count(DISTINCT user_id) || ' ' || count(*) || ' ' || max(attempts) FROM queue_jobs
                 WHERE job_type = 'generate_daily_brief' AND status = 'completed'")" = "$n $n 1"
check "one sent email per brief" \
  test "$(sql "SELECT count(DISTINCT e.template_data->>'brief_id') || ' ' || count(*) FROM emails e
                 JOIN daily_briefs b ON b.id::text = e.template_data->>'brief_id'
                 WHERE e.status = 'sent' AND e.created_by = b.user_id")" = "$n $n"
check "one email job per email, all completed on the first attempt" \
  test "$(sql "SELECT count(DISTINCT metadata->>'emailId') || ' ' || count(*) || ' ' || max(attempts) FROM queue_jobs
                 WHERE job_type = 'generate_brief_email' AND status = 'completed'")" = "$n $n 1"
check "nothing else in the queue" test "$(sql "SELECT count(*) FROM queue_jobs")" -eq $((2 * n))
check "one 'sent' tracking event per email" \
  test "$(sql "SELECT count(DISTINCT email_id) || ' ' || count(*) FROM email_tracking_events WHERE event_type = 'sent'")" = "$n $n"

# --- exactly once, in the Maildir and in the programs' output ----------------------------
check "$n files in the Maildir" test "$(find "$md/new" -type f | wc -l)" -eq "$n"
grep -h -i '^Message-ID:' "$md"/new/* | tr -d '\r' | tr '[:upper:]' '[:lower:]' | sort >"$tmp/mids"
check "$n Message-IDs, none twice" test "$(wc -l <"$tmp/mids") $(uniq -d "$tmp/mids" | wc -l)" = "$n 0"
sql "SELECT lower('message-id: <' || message_id || '>') FROM emails" | sort >"$tmp/db_mids"
check "the Maildir's Message-IDs are exactly the stored emails'" cmp -s "$tmp/mids" "$tmp/db_mids"
cat "$tmp"/gen.[123] | grep -o '"brief_id":"[^"]*"' | sort >"$tmp/gen_ids"
check "the generators reported $n briefs between them, none twice" \
  test "$(wc -l <"$tmp/gen_ids") $(uniq -d "$tmp/gen_ids" | wc -l)" = "$n 0"
cat "$tmp"/email.[123] | grep '"status":"sent"' | grep -o '"email_id":"[^"]*"' | sort >"$tmp/sent_ids"
check "the mailers reported $n sent emails between them, none twice" \
  test "$(wc -l <"$tmp/sent_ids") $(uniq -d "$tmp/sent_ids" | wc -l)" = "$n 0"
for i in 1 2 3; do
  check "generator $i and mailer $i each did part of the work" \
    test "$(grep -c . "$tmp/gen.$i")" -gt 0 -a "$(grep -c . "$tmp/email.$i")" -gt 0
done

finish
