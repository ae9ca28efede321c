#!/bin/sh
# The cron form end to end: what a crontab line runs every few minutes,
#
#   briefos-schedule --now T && briefos-generate --drain && briefos-email --drain
#
# over the demo users (scripts/demo-seed.sql), with the clock replayed by
# --now. T0 is three days ago (so every job is already claimable by the real
# clock), and every user's preferred time is ten minutes after T0 in their
# own zone. Rounds: T0 (everyone's brief and email), T0 + 15 min (nothing new,
# nothing twice), T0 + 1 day (the next day's briefs, one per user, and their
# emails), T0 + 1 day + 15 min (nothing new). Expected counts and dates come
# from independent SQL (PostgreSQL's own time-zone conversion).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

url=$(new_migrated_db e2e_cron)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/scripts/demo-seed.sql" >/dev/null
sql() { $PSQL "$url" -XAtqc "$1"; }
md="$tmp/maildir"

# T0 avoids the hours around a daylight-saving change in any demo zone
# (a preferred time in a fall-back overlap runs at its first occurrence, an
# hour before T0 + 10 min: right, but not what these rounds are about).
t0=$(sql "SELECT to_char(t0, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM (
            SELECT date_trunc('hour', now()) - interval '3 days' - k * interval '6 hours' AS t0
              FROM generate_series(0, 8) k) c
          WHERE NOT EXISTS (
            SELECT 1 FROM (SELECT DISTINCT timezone FROM user_brief_preferences) z,
                          generate_series(c.t0 - interval '3 hours', c.t0 + interval '27 hours', interval '1 hour') h
             WHERE (h AT TIME ZONE z.timezone) - (h AT TIME ZONE 'UTC')
                <> (c.t0 AT TIME ZONE z.timezone) - (c.t0 AT TIME ZONE 'UTC'))
          ORDER BY t0 DESC LIMIT 1")
check "a T0 three days ago, away from any daylight-saving change ($t0)" test -n "$t0"
# at OFFSET: T0 + OFFSET as an ISO 8601 UTC timestamp (PostgreSQL's arithmetic).
at() { sql "SELECT to_char('$t0'::timestamptz + interval '$1', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"; }
sql "UPDATE user_brief_preferences
        SET time_of_day = (('$t0'::timestamptz + interval '10 minutes') AT TIME ZONE timezone)::time" >/dev/null

due=$(sql "SELECT count(*) FROM user_brief_preferences WHERE is_active")
mailable=$(sql "SELECT count(*) FROM user_brief_preferences p WHERE p.is_active AND p.email_daily_brief
                  AND EXISTS (SELECT 1 FROM projects j WHERE j.user_id = p.user_id AND j.status = 'active')")
check "the seed has due and mailable users ($due, $mailable)" test "$due" -gt 0 -a "$mailable" -gt 0

# round NAME NOW [SCHEDULE OPTIONS...]: one cron run; keeps each program's
# stdout and exit status in $tmp/NAME.*.
round() {
  _n=$1; _now=$2; shift 2
  set +e
  "$bin/briefos-schedule" --database-url "$url" -q --json --now "$_now" "$@" >"$tmp/$_n.sched" 2>"$tmp/$_n.sched.err"
  _s=$?
  "$bin/briefos-generate" --database-url "$url" -q --json --drain >"$tmp/$_n.gen" 2>"$tmp/$_n.gen.err"
  _g=$?
  "$bin/briefos-email" --database-url "$url" -q --json --drain --transport "maildir:$md" >"$tmp/$_n.email" 2>"$tmp/$_n.email.err"
  _e=$?
  set -e
  check "$_n: schedule, generate and email exit 0" test "$_s $_g $_e" = "0 0 0"
  if [ "$_s $_g $_e" != "0 0 0" ]; then cat "$tmp/$_n".*.err | sed 's/^/  | /' | head -20; fi
}
messages() { find "$md/new" -type f 2>/dev/null | wc -l | tr -d ' '; }
counts() {
  sql "SELECT (SELECT count(*) FROM daily_briefs) || ' ' || (SELECT count(*) FROM emails) || ' '
           || (SELECT count(*) FROM emails WHERE status = 'sent') || ' '
           || (SELECT count(*) FROM queue_jobs) || ' ' || (SELECT count(*) FROM queue_jobs WHERE status <> 'completed')"
}

# --- day 1 -----------------------------------------------------------------------
round day1 "$t0"
check "day 1: one job queued per user" test "$(wc -l <"$tmp/day1.sched")" -eq "$due"
check "day 1: generate and email printed one line per brief and per message" \
  test "$(wc -l <"$tmp/day1.gen") $(wc -l <"$tmp/day1.email")" = "$due $mailable"
check "day 1: one brief per user, for the local date of T0 + 10 min" \
  test "$(sql "SELECT count(DISTINCT b.user_id) || ' ' || count(*) FROM daily_briefs b
                 JOIN user_brief_preferences p USING (user_id)
                 WHERE b.generation_status = 'completed'
                   AND b.brief_date = (('$t0'::timestamptz + interval '10 minutes') AT TIME ZONE p.timezone)::date")" \
       = "$due $due"
check "day 1: one sent email per mailable user" \
  test "$(sql "SELECT count(DISTINCT created_by) || ' ' || count(*) FROM emails WHERE status = 'sent'")" = "$mailable $mailable"
check "day 1: one message per mailable user in the Maildir" test "$(messages)" -eq "$mailable"
check "day 1: every job completed" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status <> 'completed'")" -eq 0
after1=$(counts)

# --- the same day, a quarter of an hour later: nothing twice -------------------------
round day1b "$(at '15 minutes')"
check "15 minutes later: nothing queued" test ! -s "$tmp/day1b.sched"
check "15 minutes later: nothing generated or sent" test ! -s "$tmp/day1b.gen" -a ! -s "$tmp/day1b.email"
check "15 minutes later: no new brief, email or job ($after1)" test "$(counts)" = "$after1"
check "15 minutes later: no new message" test "$(messages)" -eq "$mailable"

# --- the next day ------------------------------------------------------------------
# A daylight-saving change in a user's zone between the two days moves the
# run by up to an hour either way; a 2-hour lookahead keeps it in this round.
round day2 "$(at '1 day')" --lookahead 2h
check "day 2: one job queued per user" test "$(wc -l <"$tmp/day2.sched")" -eq "$due"
check "day 2: every user has exactly two briefs, on consecutive local dates" \
  test "$(sql "SELECT count(*) FROM (SELECT user_id FROM daily_briefs GROUP BY user_id
                 HAVING count(*) = 2 AND max(brief_date) - min(brief_date) = 1) x")" -eq "$due"
check "day 2: the new briefs are for the day after day 1 in each user's zone" \
  test "$(sql "SELECT count(*) FROM daily_briefs b JOIN user_brief_preferences p USING (user_id)
                 WHERE b.generation_status = 'completed'
                   AND b.brief_date = (('$t0'::timestamptz + interval '10 minutes') AT TIME ZONE p.timezone)::date + 1")" \
       -eq "$due"
check "day 2: a second sent email per mailable user, for the new brief" \
  test "$(sql "SELECT count(*) FROM (SELECT created_by FROM emails WHERE status = 'sent' GROUP BY created_by
                 HAVING count(*) = 2 AND count(DISTINCT template_data->>'brief_id') = 2) x")" -eq "$mailable"
check "day 2: two messages per mailable user in the Maildir" test "$(messages)" -eq $((2 * mailable))
after2=$(counts)

round day2b "$(at '1 day 15 minutes')" --lookahead 2h
check "day 2, 15 minutes later: nothing queued, generated or sent" \
  test ! -s "$tmp/day2b.sched" -a ! -s "$tmp/day2b.gen" -a ! -s "$tmp/day2b.email"
check "day 2, 15 minutes later: no new brief, email or job ($after2)" test "$(counts)" = "$after2"
grep -h -i '^Message-ID:' "$md"/new/* | sort >"$tmp/mids"
check "one Message-ID per message, none twice" \
  test "$(wc -l <"$tmp/mids") $(uniq -d "$tmp/mids" | wc -l)" = "$((2 * mailable)) 0"

finish
