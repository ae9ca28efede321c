#!/bin/sh
# kill -9 of briefos-generate and of briefos-email at random points, again
# and again: at least 20 kills of each over a run of 2,000 jobs, each worker
# restarted at once with a short --lease (5 s) so the jobs a dead worker
# held are rescued by a later one. The final state is compared with an
# undisturbed run of the same data in another database: the same briefs,
# project briefs, emails and recipients, every job completed, every email
# delivered. The one difference allowed is the documented duplicate window
# of briefos-email (a crash after the server accepted a message and before
# 'sent' was recorded: resent with the same Message-ID); the test counts
# those and prints them.
#
# Environment: KILL_JOBS (2000), KILLS (20, the minimum per program). The
# soak version with more of everything is bench/faults.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

jobs=${KILL_JOBS:-2000}
min_kills=${KILLS:-20}
gen="$bin/briefos-generate"
email="$bin/briefos-email"
common="--base-url https://app.example.com --message-id-domain example.com"
ref=$(new_migrated_db killref)
url=$(new_migrated_db kill)
for u in "$ref" "$url"; do
  # max_attempts 25: a job held by several killed workers in a row must not
  # run out of attempts (that is the poison-job rule, tested in queue.test.sh).
  $PSQL "$u" -Xq -v ON_ERROR_STOP=1 -v prefix=k -v count="$jobs" -v date=2025-10-01 -v max_attempts=25 \
    -f "$src/tests/cli/fault_seed.sql" >/dev/null
done
sql() { $PSQL "$url" -XAtqc "$1"; }
start_smtp "$tmp/ref"
ref_port=$smtp_port
start_smtp "$tmp/srv"

# --- the undisturbed run ---------------------------------------------------------------
run_timed refgen "$gen" --database-url "$ref" --drain --concurrency 2 -q
refgen_ms=$ms
check "undisturbed generate: exit 0" test "$rc" -eq 0
run_timed refmail "$email" --database-url "$ref" --transport "smtp://127.0.0.1:$ref_port" $common --drain --concurrency 2 -q
refmail_ms=$ms
check "undisturbed email: exit 0, $jobs delivered" \
  test "$rc:$(find "$tmp/ref" -name 'msg-*.eml' | wc -l)" = "0:$jobs"

# rand_ms LOW HIGH: a random number of milliseconds in [LOW, HIGH].
rand_ms() { echo $(($1 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % ($2 - $1 + 1))); }
left() { sql "SELECT count(*) FROM queue_jobs WHERE job_type = '$1' AND status IN ('pending', 'processing')"; }

# holding_or_gone PID: the worker PID holds a job, or has exited.
holding_or_gone() {
  ! kill -0 "$1" 2>/dev/null \
    || sql_true "$url" "SELECT count(*) > 0 FROM queue_jobs WHERE status = 'processing' AND locked_by LIKE '%:$1:%'"
}

# state TYPE: the jobs of TYPE by status and lease, for failure messages.
state() {
  sql "SELECT string_agg(status || ':' || n, ' ') FROM (SELECT status || CASE WHEN status = 'processing'
         THEN CASE WHEN locked_until < now() THEN '(lease expired)' ELSE '(leased)' END ELSE '' END AS status,
         count(*) AS n FROM queue_jobs WHERE job_type = '$1' GROUP BY 1 ORDER BY 1) s"
}

# kill_loop TYPE RATE_MS PROGRAM ARGS...: start PROGRAM --drain, kill -9 it
# after a random delay, restart at once; $min_kills kills, then until the
# queue of TYPE is drained (waiting out the leases of the dead). Sets kills,
# orphaned (kills that left jobs processing) and runs.
#
# The delays come from the pace of the undisturbed run (RATE_MS: its wall
# clock for all $jobs jobs), not from fixed numbers: each kill lets a worker
# live for at most the time it needs for half of its share of the jobs left
# (left / kills still to make), so the kills cannot run out of jobs on a
# fast machine and still land mid-job on a slow one. A queue drained before
# the last kill is reported as such, not retried without end.
kill_loop() {
  _type=$1; _ref_ms=$2; shift 2
  kills=0; orphaned=0; runs=0; left_after_kills=0
  while [ "$kills" -lt "$min_kills" ] || [ "$(left "$_type")" -gt 0 ]; do
    runs=$((runs + 1))
    _left=$(left "$_type")
    if [ "$kills" -lt "$min_kills" ] && [ "$_left" -eq 0 ]; then
      echo "kill_loop $_type: the queue drained after $kills of $min_kills kills ($runs runs)" >&2
      return 1
    fi
    # Every run after the kills drains what is due: a job that no run can
    # finish is a bug of the program, and the state says which.
    [ "$runs" -le $((min_kills * 4 + 40)) ] || {
      echo "kill_loop $_type: no end after $runs runs; jobs: $(state "$_type")" >&2; return 1; }
    if [ "$kills" -ge "$min_kills" ] && [ "$(sql "SELECT count(*) FROM queue_jobs WHERE job_type = '$_type' AND status = 'pending' AND scheduled_for <= now()")" -eq 0 ]; then
      # Only jobs of dead workers (or retries in backoff) are left: wait for
      # the leases, at most one lease (5 s) and a margin for a slow machine.
      poll_until 20 sql_true "$url" "SELECT coalesce(bool_and(locked_until < now()), true) FROM queue_jobs WHERE status = 'processing'" \
        || { echo "kill_loop $_type: leases still held; jobs: $(state "$_type")" >&2; return 1; }
      sql "UPDATE queue_jobs SET scheduled_for = now() WHERE job_type = '$_type' AND status = 'pending' AND scheduled_for > now()" >/dev/null
    fi
    "$@" --database-url "$url" --drain --concurrency 2 --lease 5 -q >>"$tmp/kill.out" 2>>"$tmp/kill.err" &
    _pid=$!
    if [ "$kills" -lt "$min_kills" ]; then
      # The longest this worker may live: half its share of the jobs left at
      # the undisturbed pace, at least 20 ms.
      _max=$(( _left * _ref_ms / jobs / (min_kills - kills) / 2 ))
      [ "$_max" -ge 20 ] || _max=20
      # Every other kill first waits (bounded) until this worker holds jobs,
      # so that some kills surely land mid-job however slow the start-up is
      # (an ASan build takes about 2 s before its first claim); the others
      # land anywhere, start-up included. Never longer than the worker
      # lives: one that found nothing to claim exits.
      if [ $((kills % 2)) -eq 0 ]; then
        poll_until 10 holding_or_gone "$_pid" || true
        _d=$(rand_ms 0 "$_max")
      else
        _d=$(rand_ms 10 "$_max")
      fi
      sleep "$(awk -v ms="$_d" 'BEGIN { printf "%.3f", ms / 1000 }')"
      if kill -9 "$_pid" 2>/dev/null; then
        kills=$((kills + 1))
        wait "$_pid" 2>/dev/null || true
        [ "$kills" -lt "$min_kills" ] || left_after_kills=$(left "$_type")
        _held=$(sql "SELECT count(*) FROM queue_jobs WHERE status = 'processing' AND locked_by LIKE '%:$_pid:%'")
        [ "$_held" -eq 0 ] || orphaned=$((orphaned + 1))
        continue
      fi
    fi
    wait "$_pid" 2>/dev/null || true
  done
}

# --- generate under kill -9 -----------------------------------------------------------------
t0=$(now_ms)
kill_loop generate_daily_brief "$refgen_ms" "$gen"
echo "  generate: $kills kills in $runs runs ($orphaned left jobs behind for rescue; $left_after_kills of $jobs jobs left after the last kill), $(($(now_ms) - t0)) ms"
check "generate: at least $min_kills kills" test "$kills" -ge "$min_kills"
check "generate: some kills hit a worker holding jobs (they were rescued)" test "$orphaned" -ge 1
check "generate: rescues recorded (lease expired) and jobs run again" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_daily_brief' AND attempts > 1 AND errors::text LIKE '%lease expired%'")" -ge 1
check "generate: all $jobs jobs completed" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_daily_brief' AND status = 'completed'")" -eq "$jobs"

# same QUERY: QUERY gives the same answer in both databases.
same() {
  _a=$($PSQL "$ref" -XAtqc "$1" | md5sum); _b=$(sql "$1" | md5sum)
  [ "$_a" = "$_b" ]
}
check "briefs equal the undisturbed run (content, status, counts), one per (user, date)" same \
  "SELECT user_id, brief_date, md5(summary_content), generation_status, project_count, failed_project_count,
          is_empty, llm_status, priority_actions, cardinality(project_brief_ids) FROM daily_briefs ORDER BY user_id, brief_date"
check "project briefs equal the undisturbed run" same \
  "SELECT p.project_id, p.brief_date, md5(p.brief_content), p.generation_status FROM project_daily_briefs p ORDER BY 1, 2"
check "emails queued equal the undisturbed run (one per brief)" same \
  "SELECT e.created_by, e.subject, e.category, e.from_email, e.template_data->>'brief_date', count(*) FROM emails e GROUP BY 1, 2, 3, 4, 5 ORDER BY 1"
check "one email job per email" \
  test "$(sql "SELECT count(*) || '/' || count(DISTINCT metadata->>'emailId') FROM queue_jobs WHERE job_type = 'generate_brief_email'")" = "$jobs/$jobs"

# --- email under kill -9 -------------------------------------------------------------------
t0=$(now_ms)
kill_loop generate_brief_email "$refmail_ms" "$email" --transport "smtp://127.0.0.1:$smtp_port" $common
echo "  email: $kills kills in $runs runs ($orphaned left jobs behind for rescue; $left_after_kills of $jobs jobs left after the last kill), $(($(now_ms) - t0)) ms"
check "email: at least $min_kills kills" test "$kills" -ge "$min_kills"
check "email: some kills hit a worker holding jobs" test "$orphaned" -ge 1
check "email: every job completed, every email and recipient sent" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status <> 'completed'"):$(sql "SELECT count(*) FROM emails WHERE status = 'sent'"):$(sql "SELECT count(*) FROM email_recipients WHERE status = 'sent'")" = "0:$jobs:$jobs"
check "emails and recipients equal the undisturbed run" same \
  "SELECT e.created_by, e.status, e.subject, r.recipient_email, r.status,
          (SELECT count(*) FROM email_tracking_events t WHERE t.email_id = e.id AND t.event_type = 'sent')
     FROM emails e JOIN email_recipients r ON r.email_id = e.id ORDER BY 1"
sql "SELECT e.message_id || ' ' || r.recipient_email || ' ' || coalesce((SELECT bool_or((t.event_data->>'resent')::boolean)
            FROM email_tracking_events t WHERE t.email_id = e.id), false)
       FROM emails e JOIN email_recipients r ON r.email_id = e.id" >"$tmp/emails.txt"
if $py - "$tmp/srv" "$tmp/ref" "$tmp/emails.txt" >"$tmp/count.log" 2>&1 <<'PY'
import collections, glob, re, sys
srv, ref, rows = sys.argv[1:4]
def deliveries(d):
    got = collections.Counter()
    for path in glob.glob(d + "/msg-*.eml"):
        head = open(path, "rb").read().split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        mid = re.search(r"^Message-ID: <([^>]+)>", head, re.M).group(1)
        to = re.search(r"^To: .*?<([^>]+)>", head, re.M | re.S).group(1)
        got[(mid, to)] += 1
    return got
got, want = deliveries(srv), deliveries(ref)
emails = {}
for line in open(rows):
    mid, to, resent = line.split()
    emails[(mid, to)] = resent == "true"
assert len(emails) == len(want), (len(emails), len(want))
lost = [k for k in emails if got[k] == 0]
unknown = [k for k in got if k not in emails]
dups = {k: c for k, c in got.items() if c > 1}
unexplained = [k for k in dups if not emails[k]]
resent = sum(emails.values())
print("delivered %d messages for %d emails (undisturbed run: %d)"
      % (sum(got.values()), len(emails), sum(want.values())))
print("documented duplicate window: %d email(s) resent from 'sending', %d delivered twice, %d more than twice"
      % (resent, len(dups), sum(1 for c in dups.values() if c > 2)))
for (mid, to), c in sorted(dups.items()):
    print("  resent: <%s> to %s, %d deliveries" % (mid, to, c))
assert not lost, "lost: %s" % lost[:5]
assert not unknown, "unknown: %s" % unknown[:5]
assert not unexplained, "duplicates outside the documented window: %s" % unexplained[:5]
assert sorted(set(t for _, t in got)) == sorted(t for _, t in want), "recipients differ from the undisturbed run"
PY
then ok "email: none lost, duplicates only in the documented window (counted below)"; sed 's/^/  /' "$tmp/count.log"
else not_ok "email deliveries"; show "$tmp/count.log"; fi
check "nothing left processing or pending anywhere" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status IN ('pending', 'processing')")" -eq 0
finish
