# briefos-generate end to end: dry run against a golden file, the --jobs -
# pipeline with --json, backfill by email, the email hand-off, the
# no-projects user, usage errors. Needs BRIEFOS_TEST_DATABASE_URL.
. "$BRIEFOS_SOURCE_DIR/tests/cli/lib.sh"
need_db

gen="$bin/briefos-generate"
url=$(new_migrated_db gen)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
sql() { $PSQL "$url" -XAtqc "$1"; }
alice=aaaaaaaa-0000-4000-8000-000000000001
bob=bbbbbbbb-0000-4000-8000-000000000002
carol=cccccccc-0000-4000-8000-000000000003

# --- dry run: golden Markdown, nothing written --------------------------------
expect_status 0 "dry run of alice's 2025-10-01 brief" \
  "$gen" --database-url "$url" --dry-run --user alice@example.com --date 2025-10-01
if diff -u "$src/tests/cli/expected/generate_alice_2025-10-01.md" "$tmp/out" >"$tmp/diff"; then
  ok "dry run output matches tests/cli/expected/generate_alice_2025-10-01.md"
else
  not_ok "dry run output differs from the golden file"; sed 's/^/  | /' "$tmp/diff" | head -40
fi
check "dry run wrote no brief and queued no job" \
  test "$(sql "SELECT count(*) FROM daily_briefs") $(sql "SELECT count(*) FROM queue_jobs")" = "0 0"

# --- usage errors ------------------------------------------------------------
expect_status 2 "--date without --user is a usage error" "$gen" --database-url "$url" --date 2025-10-01
expect_status 2 "an impossible date is a usage error" \
  "$gen" --database-url "$url" --user "$alice" --date 2025-02-30
expect_status 2 "an unknown user is a usage error" \
  "$gen" --database-url "$url" --user nobody@example.com --date 2025-10-01
expect_status 2 "--llm-url without a model is a usage error" \
  "$gen" --database-url "$url" --drain --llm-url http://127.0.0.1:9
expect_status 3 "an unreachable database exits 3" \
  "$gen" --database-url "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2" --drain

# --- pipeline: job ids on stdin, JSON lines out --------------------------------
for u in $alice $bob $carol; do
  sql "INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key)
       VALUES ('generate_daily_brief', '$u',
               jsonb_build_object('userId', '$u', 'briefDate', '2025-10-01',
                                  'timezone', 'UTC', 'options', '{}'::jsonb),
               'brief-$u-2025-10-01') RETURNING id" >>"$tmp/ids"
done
# A job id nobody has, and a JSON line in the schedule format, mixed in.
{ echo 999999; head -n 2 "$tmp/ids"; tail -n 1 "$tmp/ids" | sed 's/.*/{"job_id": &, "user_id": "x"}/'; } >"$tmp/in"
set +e
"$gen" --database-url "$url" --jobs - --json <"$tmp/in" >"$tmp/lines" 2>"$tmp/err"
rc=$?
set -e
check "pipeline exits 0" test "$rc" -eq 0
check "one JSON line per brief" test "$(wc -l <"$tmp/lines")" -eq 3
check "every line is completed" test "$(grep -c '"status":"completed"' "$tmp/lines")" -eq 3
line_of() { grep "\"user_id\":\"$1\"" "$tmp/lines"; }
check "alice's line has a brief, an email and its job" \
  sh -c "echo '$(line_of $alice)' | grep -q '\"email_id\":\"[0-9a-f-]*\",\"email_job_id\":[0-9]*,'"
check "alice's line counts 2 projects" \
  sh -c "echo '$(line_of $alice)' | grep -q '\"projects\":{\"succeeded\":2,\"failed\":0,\"skipped\":0}'"
check "bob (no projects) gets a brief but no email" \
  sh -c "echo '$(line_of $bob)' | grep -q '\"brief_id\":\"[0-9a-f-]*\",\"brief_date\":\"2025-10-01\",\"email_id\":null'"
check "carol (not opted in) gets no email" \
  sh -c "echo '$(line_of $carol)' | grep -q '\"email_id\":null'"
check "the summary went to stderr" grep -q "3 brief(s) completed" "$tmp/err"

check "three completed briefs stored" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'")" -eq 3
check "bob's brief says he has no active projects and is empty" \
  test "$(sql "SELECT is_empty AND summary_content LIKE '%no active projects%' FROM daily_briefs WHERE user_id = '$bob'")" = t
check "alice's brief was built in her zone (preferences win over the job's UTC)" \
  test "$(sql "SELECT metadata->>'timezone' FROM daily_briefs WHERE user_id = '$alice'")" = America/New_York
check "exactly one email, one recipient and one email job in all" \
  test "$(sql "SELECT (SELECT count(*) FROM emails) || ' ' || (SELECT count(*) FROM email_recipients) || ' ' || (SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_brief_email')")" = "1 1 1"
check "the email is pending, daily_brief, with the reference subject" \
  test "$(sql "SELECT status || '|' || category || '|' || subject || '|' || from_email FROM emails")" = "pending|daily_brief|Daily Brief - Wed, Oct 1|briefs@localhost"
check "the email's template_data names the brief" \
  test "$(sql "SELECT count(*) FROM emails e JOIN daily_briefs b ON b.id::text = e.template_data->>'brief_id' WHERE b.user_id = '$alice' AND e.template_data->>'timezone' = 'America/New_York'")" -eq 1
check "the recipient is alice" \
  test "$(sql "SELECT recipient_email || '|' || recipient_name || '|' || recipient_type || '|' || status FROM email_recipients")" = "alice@example.com|Alice|to|pending"
check "the email job carries emailId, userId and briefId with priority 5" \
  test "$(sql "SELECT count(*) FROM queue_jobs q JOIN emails e ON e.id::text = q.metadata->>'emailId' WHERE q.job_type = 'generate_brief_email' AND q.priority = 5 AND q.dedup_key = 'email-' || e.id AND q.metadata->>'userId' = '$alice' AND q.metadata ? 'briefId'")" -eq 1
check "the brief job's result records the brief id and counts" \
  test "$(sql "SELECT count(*) FROM queue_jobs q JOIN daily_briefs b ON b.id::text = q.result->>'brief_id' WHERE q.job_type = 'generate_daily_brief' AND q.status = 'completed' AND q.result->'projects' ? 'succeeded' AND q.result->'timing_ms' ? 'total'")" -eq 3
check "project briefs are stored and linked" \
  test "$(sql "SELECT count(*) FROM project_daily_briefs p JOIN daily_briefs b ON p.id = ANY (b.project_brief_ids) WHERE b.user_id = '$alice'")" -eq 2

# The same ids again: nothing pending, nothing done twice.
set +e
"$gen" --database-url "$url" --jobs - --json <"$tmp/ids" >"$tmp/lines2" 2>"$tmp/err2"
rc=$?
set -e
check "re-running finished job ids processes nothing" test "$rc" -eq 0 -a ! -s "$tmp/lines2"

# --- backfill by email ---------------------------------------------------------
expect_status 0 "backfill alice's 2025-10-02 brief by email" \
  "$gen" --database-url "$url" -q --json --user ALICE@example.com --date 2025-10-02
check "the backfill made a brief for 2025-10-02" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-02'")" -eq 1
check "the backfill went through the queue with the usual dedup key" \
  test "$(sql "SELECT status FROM queue_jobs WHERE dedup_key = 'brief-$alice-2025-10-02'")" = completed

# A regeneration while the first email is still pending reuses it.
expect_status 0 "regenerate alice's 2025-10-01 brief with --force" \
  "$gen" --database-url "$url" -q --user "$alice" --date 2025-10-01 --force
check "the regenerated brief kept its id and still has one pending email" \
  test "$(sql "SELECT count(*) FROM emails e JOIN daily_briefs b ON b.id::text = e.template_data->>'brief_id' WHERE b.user_id = '$alice' AND b.brief_date = '2025-10-01'")" -eq 1
# Once sent, an unforced regeneration does not email again.
sql "UPDATE emails SET status = 'sent' WHERE template_data->>'brief_date' = '2025-10-01'" >/dev/null
expect_status 0 "regenerate again without --force (through a new job)" \
  "$gen" --database-url "$url" -q --user "$alice" --date 2025-10-01
check "a sent email is not sent twice" \
  test "$(sql "SELECT count(*) FROM emails WHERE template_data->>'brief_date' = '2025-10-01'")" -eq 1
# Forced, with changed content: a new email.
sql "UPDATE tasks SET title = 'Write landing copy v2' WHERE id = '20000000-0000-4000-8000-000000000001'" >/dev/null
expect_status 0 "forced regeneration after the brief changed" \
  "$gen" --database-url "$url" -q --user "$alice" --date 2025-10-01 --force
check "forced and changed: a second email" \
  test "$(sql "SELECT count(*) FROM emails WHERE template_data->>'brief_date' = '2025-10-01'")" -eq 2

# --- fault injection: one project fails, the brief completes -------------------
BRIEFOS_FAULT_PROJECTS=10000000-0000-4000-8000-000000000003 \
  "$gen" --database-url "$url" --json --user "$alice" --date 2025-10-03 >"$tmp/fault" 2>"$tmp/fault.err" || true
check "a failing project is counted and the brief still completes" \
  grep -q '"status":"completed".*"projects":{"succeeded":1,"failed":1,"skipped":0}' "$tmp/fault"
check "the failure is logged with the project's name" grep -q 'project "Reading"' "$tmp/fault.err"
check "the stored brief records one failed project" \
  test "$(sql "SELECT failed_project_count || ' ' || project_count FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-03'")" = "1 1"

finish
