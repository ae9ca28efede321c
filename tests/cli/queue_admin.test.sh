#!/bin/sh
# briefos-queue end to end on a real database: list (filters, table, json,
# csv), show, retry after a relay outage (the retried email then goes out
# through briefos-email; bounced and suppressed recipients refused), cancel,
# prune (batches; two concurrent runs, as from cron on two hosts), the
# refusals (no filter, bad id, unknown user or type, wrong status), --dry-run
# changing nothing (no sequence value either), every changing command run
# twice (the second changes nothing), config file and environment, and the
# exit statuses of briefos-queue(1).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db
py=/usr/bin/python3
unset BRIEFOS_CONFIG BRIEFOS_QUEUE_TZ

url=$(new_migrated_db queue_admin)
q() { $PSQL "$url" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
bq() { "$bin/briefos-queue" --database-url "$url" --tz UTC "$@"; }
# snapshot: every row a change could touch, and the job id sequence.
snapshot() {
  q "SELECT (SELECT coalesce(string_agg(j::text, '|' ORDER BY id), '') FROM queue_jobs j)
         || (SELECT coalesce(string_agg(e::text, '|' ORDER BY id), '') FROM emails e)
         || (SELECT coalesce(string_agg(r::text, '|' ORDER BY id), '') FROM email_recipients r)
         || (SELECT last_value || ' ' || is_called FROM queue_jobs_id_seq)"
}

# Four users with a brief email each and its job (tests/cli/email_seed.sql).
# Then a relay outage as briefos-email records it after the last attempt:
# qa1 and qa2 failed (email, recipient, job); qa2's address was then
# unsubscribed; qa3's recipient bounced (5xx) and is suppressed; qa4's job
# is still pending.
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix=qa -v count=4 -f "$src/tests/cli/email_seed.sql" >/dev/null
q "UPDATE emails e SET status = 'failed', error_message = '451 relay down'
     FROM users u WHERE u.id = e.created_by AND u.email IN ('qa1@example.org', 'qa2@example.org', 'qa3@example.org');
   UPDATE email_recipients SET status = CASE recipient_email WHEN 'qa3@example.org' THEN 'bounced' ELSE 'failed' END,
                               error_message = '451 relay down'
    WHERE recipient_email IN ('qa1@example.org', 'qa2@example.org', 'qa3@example.org');
   UPDATE queue_jobs j SET status = 'failed', attempts = 3, completed_at = now(), error_message = '451 relay down',
                           errors = '[{\"attempt\": 3, \"at\": \"2026-03-08T07:30:00Z\", \"error\": \"451 relay down\"}]'
     FROM users u WHERE u.id = j.user_id AND u.email IN ('qa1@example.org', 'qa2@example.org', 'qa3@example.org');
   INSERT INTO email_suppressions (email, reason) VALUES ('qa2@example.org', 'unsubscribed'), ('qa3@example.org', 'hard_bounce');" >/dev/null
job_of() { q "SELECT j.id FROM queue_jobs j JOIN users u ON u.id = j.user_id WHERE u.email = '$1'"; }
j1=$(job_of qa1@example.org); j2=$(job_of qa2@example.org); j3=$(job_of qa3@example.org); j4=$(job_of qa4@example.org)

# --- list --------------------------------------------------------------------------
expect_status 0 "list exits 0" bq list
check "list is a table, newest first, with every job" \
  sh -c "sed -n '3p' '$tmp/out' | grep -q '^ *id  job type' && test \$(grep -c generate_brief_email '$tmp/out') -eq 4 \
         && grep -m1 generate_brief_email '$tmp/out' | grep -q '^ *$j4 '"
bq list --status failed --format json >"$tmp/list.json"
check "list --status failed --format json: the three failed jobs, with every column" \
  $py -c "import json,sys; d=json.load(open('$tmp/list.json')); j=d['jobs']
assert d['report']=='jobs' and d['zone']=='UTC', d
assert sorted(x['id'] for x in j)==sorted([$j1,$j2,$j3]), j
assert all(x['status']=='failed' and x['attempts']==3 and x['error']=='451 relay down' and x['completed_at'] for x in j), j"
bq -f csv list --user QA4@example.org >"$tmp/list.csv"
check "list --user EMAIL (any case) --format csv: a header and qa4's job" \
  $py -c "import csv; r=list(csv.DictReader(open('$tmp/list.csv')))
assert len(r)==1 and r[0]['id']=='$j4' and r[0]['status']=='pending', r"
check "list --limit 2 --since 1h shows the two newest" test "$(bq --json list --limit 2 --since 1h | $py -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')" = 2
check "list --older-than 1h matches nothing yet" sh -c "'$bin/briefos-queue' --database-url '$url' --tz UTC list --older-than 1h | grep -q '(no jobs match)'"
expect_status 2 "list --user of nobody exits 2" bq list --user nobody@example.org
check "  naming the user" grep -q 'unknown user "nobody@example.org"' "$tmp/err"
expect_status 2 "list --type bogus exits 2" bq list --type bogus
check "  listing the job types" grep -q 'hint: Job types: .*generate_brief_email' "$tmp/err"
expect_status 2 "list --since yesterday exits 2" bq list --since yesterday

# --- show --------------------------------------------------------------------------
expect_status 0 "show ID exits 0" bq show "$j1"
check "show: every column, the metadata, the attempts" \
  sh -c "grep -q '^  status: *failed' '$tmp/out' && grep -q '^  user email: *qa1@example.org' '$tmp/out' \
         && grep -q '^  dedup key: *email-' '$tmp/out' && grep -q '\"emailId\"' '$tmp/out' \
         && grep -q '451 relay down' '$tmp/out' && grep -q '^Result' '$tmp/out'"
bq --json show "$j1" >"$tmp/show.json"
check "show --json: metadata and result as JSON, attempts as a list" \
  $py -c "import json; d=json.load(open('$tmp/show.json')); j=d['job']
assert j['id']==$j1 and j['metadata']['emailId'] and j['result'] is None, j
assert d['attempts'][0]['attempt']==3 and d['attempts'][0]['error']=='451 relay down', d"
expect_status 1 "show of a job that does not exist exits 1" bq show 999999
check "  saying so" grep -q 'error: no job 999999' "$tmp/err"
expect_status 2 "show of a bad id exits 2" bq show 12abc

# --- retry ---------------------------------------------------------------------------
before=$(snapshot)
expect_status 2 "retry without ids, filter or --all exits 2" bq retry
check "  with a one-line message and nothing on stdout" \
  sh -c "test \$(wc -l <'$tmp/err') -eq 1 && grep -q '^briefos-queue: error: refusing to retry without job ids or a filter' '$tmp/err' && test ! -s '$tmp/out'"
expect_status 2 "retry of a bad id exits 2" bq retry 1 x
expect_status 2 "retry --status pending exits 2" bq retry --all --status pending
expect_status 1 "retry --dry-run --type generate_brief_email exits 1 (two refused)" bq retry --dry-run --type generate_brief_email
check "  would retry qa1's job only" sh -c "test \"\$(cat '$tmp/out')\" = 'would retry job $j1 (generate_brief_email, was failed)'"
check "  and changed nothing (no sequence value drawn either)" test "$(snapshot)" = "$before"

expect_status 1 "retry --type generate_brief_email exits 1 (two refused)" bq retry --type generate_brief_email
check "  prints the one job it retried, with its email" \
  sh -c "test \$(wc -l <'$tmp/out') -eq 1 && grep -q '^retried job $j1 (generate_brief_email, was failed; email .* pending again)$' '$tmp/out'"
check "  warns why the suppressed and the bounced recipient were refused" \
  sh -c "grep -q 'warning: job $j2: the address qa2@example.org is suppressed (unsubscribed)' '$tmp/err' \
         && grep -q 'warning: job $j3: the address qa3@example.org is suppressed (hard_bounce)' '$tmp/err'"
check "  summarises on stderr" grep -q '^briefos-queue: retried 1 job, 1 email pending again; 2 refused' "$tmp/err"
check "  the job is pending and due, attempts reset, history kept; its email and recipient pending" \
  test "$(q "SELECT j.status || ' ' || j.attempts || ' ' || (j.scheduled_for <= now()) || ' ' || jsonb_array_length(j.errors)
                    || ' ' || e.status || ' ' || r.status
               FROM queue_jobs j JOIN emails e ON e.id = (j.metadata->>'emailId')::uuid
               JOIN email_recipients r ON r.email_id = e.id WHERE j.id = $j1")" = "pending 0 true 1 pending pending"
check "  the refused ones stay failed" \
  test "$(q "SELECT string_agg(status::text, ' ') FROM queue_jobs WHERE id IN ($j2, $j3)")" = "failed failed"
after=$(snapshot)
expect_status 1 "retry again exits 1 (the refusals stand)" bq retry --type generate_brief_email
check "  prints nothing on stdout" test ! -s "$tmp/out"
check "  and changes nothing" test "$(snapshot)" = "$after"
expect_status 1 "retry of the pending job by id exits 1" bq retry "$j1"
check "  saying why" grep -q "warning: job $j1 is pending: only failed or cancelled jobs are retried" "$tmp/err"

# --- cancel --------------------------------------------------------------------------
q "INSERT INTO queue_jobs (job_type, status, metadata) SELECT 'other', 'pending', '{}' FROM generate_series(1, 3)" >/dev/null
expect_status 2 "cancel without ids, filter or --all exits 2" bq cancel --status pending
before=$(snapshot)
expect_status 0 "cancel --user --dry-run exits 0" bq cancel --user qa4@example.org --dry-run
check "  would cancel qa4's pending job" sh -c "test \"\$(cat '$tmp/out')\" = 'would cancel job $j4 (generate_brief_email, was pending)'"
check "  and changed nothing" test "$(snapshot)" = "$before"
expect_status 0 "cancel --user exits 0" bq cancel --user qa4@example.org
check "  cancels it" sh -c "test \"\$(cat '$tmp/out')\" = 'cancelled job $j4 (generate_brief_email, was pending)'"
expect_status 0 "cancel --type other --json exits 0" bq --json cancel --type other --reason 'not needed'
check "  one JSON line per cancelled job" \
  $py -c "import json; l=[json.loads(x) for x in open('$tmp/out')]
assert len(l)==3 and all(x['action']=='cancel' and x['to_status']=='cancelled' and not x['dry_run'] for x in l), l"
check "  with the reason stored" test "$(q "SELECT count(*) FROM queue_jobs WHERE job_type = 'other' AND status = 'cancelled' AND error_message = 'not needed'")" = 3
after=$(snapshot)
expect_status 0 "cancel --type other again exits 0" bq cancel --type other
check "  and changes nothing" sh -c "test ! -s '$tmp/out' && grep -q 'nothing to cancel' '$tmp/err'"
check "  (the database agrees)" test "$(snapshot)" = "$after"
expect_status 1 "cancel of a failed job by id exits 1" bq cancel "$j2"
check "  saying why" grep -q "warning: job $j2 is failed: only pending or processing jobs are cancelled" "$tmp/err"
expect_status 0 "retry --status cancelled --type other brings them back" bq -q retry --status cancelled --type other
check "  all three, printed" test "$(wc -l <"$tmp/out")" = 3

# The retried email goes out through the normal path; the refused and the
# cancelled do not.
expect_status 0 "briefos-email --drain delivers the retried email" \
  "$bin/briefos-email" --database-url "$url" -q --drain --transport "maildir:$tmp/maildir"
check "  one message, to qa1" sh -c "test \$(ls '$tmp/maildir/new' | wc -l) -eq 1 && grep -q '^To: .*qa1@example.org' '$tmp/maildir/new/'*"

# --- prune ---------------------------------------------------------------------------
q "INSERT INTO queue_jobs (job_type, status, metadata, created_at, completed_at)
   SELECT 'generate_daily_brief', s::queue_status, '{}', now() - interval '40 days', now() - interval '40 days'
     FROM (VALUES ('completed'), ('completed'), ('failed'), ('cancelled'), ('completed')) v(s);
   INSERT INTO queue_jobs (job_type, status, metadata, created_at, completed_at)
   VALUES ('generate_daily_brief', 'completed', '{}', now() - interval '10 days', now() - interval '10 days');
   INSERT INTO queue_jobs (job_type, status, metadata, created_at)
   VALUES ('generate_daily_brief', 'pending', '{}', now() - interval '40 days')" >/dev/null
before=$(snapshot)
expect_status 0 "prune --dry-run exits 0" bq prune --dry-run --older-than 30d
check "  counts what it would delete, per status" \
  sh -c "grep -qx 'would prune 3 completed generate_daily_brief jobs' '$tmp/out' && grep -qx 'would prune 1 failed generate_daily_brief job' '$tmp/out'"
check "  and deletes nothing" test "$(snapshot)" = "$before"
expect_status 0 "prune --older-than 30d --batch-size 2 exits 0" bq prune --older-than 30d --batch-size 2
check "  in three batches" sh -c "test \"\$(cat '$tmp/out')\" = \"\$(printf 'pruned 2 jobs (batch 1)\npruned 2 jobs (batch 2)\npruned 1 job (batch 3)')\""
check "  only the finished jobs older than 30 days" \
  test "$(q "SELECT count(*) FILTER (WHERE created_at < now() - interval '30 days' AND status <> 'pending') || ' '
                   || count(*) FILTER (WHERE created_at < now() - interval '5 days') FROM queue_jobs")" = "0 2"
after=$(snapshot)
expect_status 0 "prune again exits 0" bq prune --older-than 30d
check "  and deletes nothing" sh -c "test ! -s '$tmp/out' && test \"\$(cat '$tmp/err')\" = 'briefos-queue: pruned 0 finished jobs older than 30d 00h'"
check "  (the database agrees)" test "$(snapshot)" = "$after"
expect_status 0 "prune with the default retention (14d) keeps the 10-day-old job" bq -q prune
check "  it is still there" test "$(q "SELECT count(*) FROM queue_jobs WHERE completed_at < now() - interval '5 days'")" = 1

# Two prunes at once, as cron on two hosts: each batch skips the other's rows.
q "INSERT INTO queue_jobs (job_type, status, metadata, created_at, completed_at)
   SELECT 'other', 'completed', '{}', now() - interval '60 days', now() - interval '60 days'
     FROM generate_series(1, 3000)" >/dev/null
bq --json prune --older-than 30d --batch-size 100 >"$tmp/p1" 2>"$tmp/p1.err" &
p1=$!
bq --json prune --older-than 30d --batch-size 100 >"$tmp/p2" 2>"$tmp/p2.err" &
p2=$!
rc=0
wait "$p1" || rc=1
wait "$p2" || rc=1
check "two concurrent prunes both exit 0" test "$rc" -eq 0
check "  together they deleted the 3000 jobs, each once" \
  $py -c "import json; n=sum(json.loads(l)['deleted'] for f in ('$tmp/p1','$tmp/p2') for l in open(f))
assert n==3000, n"
check "  and none is left" test "$(q "SELECT count(*) FROM queue_jobs WHERE job_type = 'other' AND status = 'completed'")" = 0

# --- settings: config file section and environment --------------------------------------
cat >"$tmp/queue.toml" <<EOF
[briefos-queue]
tz = "Asia/Tokyo"
[briefos-queue.list]
limit = 1
[briefos-stats]
tz = "Mars/Olympus"
EOF
"$bin/briefos-queue" --database-url "$url" --config "$tmp/queue.toml" --json list >"$tmp/cfg.json" 2>"$tmp/cfg.err"
check "[briefos-queue] and [briefos-queue.list] are read; other programs' sections are not" \
  $py -c "import json; d=json.load(open('$tmp/cfg.json')); assert d['zone']=='Asia/Tokyo' and len(d['jobs'])==1, d"
check "  without a warning" test ! -s "$tmp/cfg.err"
check "BRIEFOS_QUEUE_TZ sets the zone" \
  sh -c "BRIEFOS_QUEUE_TZ=Europe/Berlin '$bin/briefos-queue' --database-url '$url' --json list --limit 1 | grep -q '\"zone\": \"Europe/Berlin\"'"
expect_status 3 "an unreachable database exits 3" \
  "$bin/briefos-queue" --database-url "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2" list

finish
