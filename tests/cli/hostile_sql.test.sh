#!/bin/sh
# SQL injection through every string input: --user of briefos-generate,
# briefos-schedule and briefos-stats (and LIKE wildcards in it), dates,
# times and zones, briefos-email's --preview, --jobs lists and --from, and
# data that flows into templates: a user named x'); DROP TABLE users; --
# with projects, tasks and notes of the same kind, and Mustache syntax in a
# name. Nothing executes: every lookup misses cleanly (exit 2, or 1 for a
# missing brief), the data is stored and shown verbatim, and every table and
# row count is intact.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

url=$(new_migrated_db hostsql)
sql() { $PSQL "$url" -XAtqc "$1"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
bobby=99999999-0000-4000-8000-000000000001
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
INSERT INTO users (id, email, name) VALUES
  ('99999999-0000-4000-8000-000000000001', 'o''brien@example.com', 'x''); DROP TABLE users; --'),
  ('99999999-0000-4000-8000-000000000002', 'mustache@example.com', '{{recipient_email}} {{{content_html}}} {{#x}}y{{/x}}');
INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)
SELECT id, 'UTC', true FROM users WHERE id::text LIKE '99999999-%';
INSERT INTO projects (id, user_id, name, description, status) VALUES
  ('99999999-1111-4000-8000-000000000001', '99999999-0000-4000-8000-000000000001',
   ''';  DELETE FROM tasks; --', '$$; DROP TABLE notes; $$', 'active'),
  ('99999999-1111-4000-8000-000000000002', '99999999-0000-4000-8000-000000000002',
   '{{> partial}} {{=<% %>=}}', NULL, 'active');
INSERT INTO tasks (project_id, user_id, title, status, start_date) VALUES
  ('99999999-1111-4000-8000-000000000001', '99999999-0000-4000-8000-000000000001',
   '" OR 1=1; UPDATE users SET email = NULL; --', 'backlog', '2025-10-01T10:00:00Z'),
  ('99999999-1111-4000-8000-000000000002', '99999999-0000-4000-8000-000000000002',
   '{{brief_url}}', 'backlog', '2025-10-01T10:00:00Z');
INSERT INTO notes (project_id, user_id, title, content, updated_at) VALUES
  ('99999999-1111-4000-8000-000000000001', '99999999-0000-4000-8000-000000000001',
   'note'');DROP TABLE notes;--', '\''; TRUNCATE daily_briefs; --', '2025-09-30T12:00:00Z');
SQL
counts() {
  sql "SELECT (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public')
          || '|' || (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM users WHERE email IS NOT NULL)
          || '/' || (SELECT count(*) FROM projects) || '/' || (SELECT count(*) FROM tasks)
          || '/' || (SELECT count(*) FROM notes) || '/' || (SELECT count(*) FROM user_brief_preferences)"
}
start=$(counts)
jobs_before=$(sql "SELECT count(*) FROM queue_jobs")

# misses STATUS PATTERN PROGRAM ARGS...: a clean one-line miss.
misses() {
  _want=$1; _pat=$2; _prog=$3; shift 3
  run_timed miss "$bin/$_prog" "$@"
  if [ "$rc" -eq "$_want" ] && head -n 1 "$tmp/miss.err" | grep -qE "^$_prog: error: .*($_pat)" \
     && [ "$(wc -l <"$tmp/miss.err")" -le 2 ]; then
    ok "$_prog $(echo "$*" | cut -c1-60): exit $_want, no match"
  else
    not_ok "$_prog $*: exit $rc (wanted $_want)"; show "$tmp/miss.err"
  fi
}

for p in "x'); DROP TABLE users; --" "' OR '1'='1" "alice@example.com' OR 1=1 --" \
         "1; DELETE FROM queue_jobs" '" OR ""="' "%" "_lice@example.com" "%@example.com" \
         "') UNION SELECT id, email, name FROM users --" "\\'; DROP TABLE users; --" \
         "aaaaaaaa-0000-4000-8000-000000000001' --"; do
  misses 2 'no user' briefos-generate --database-url "$url" --user "$p" --date 2025-10-01
  misses 2 'no user' briefos-schedule --database-url "$url" --user "$p" --date 2025-10-01
  misses 2 'unknown user' briefos-stats --database-url "$url" user "$p"
done
check "no job was queued by any of the lookups" test "$(sql "SELECT count(*) FROM queue_jobs")" -eq "$jobs_before"

for p in "2025-10-01'; DROP TABLE daily_briefs; --" "2025-10-01 OR 1=1" "now()"; do
  misses 2 'date' briefos-generate --database-url "$url" --user alice@example.com --date "$p"
  misses 2 'date' briefos-schedule --database-url "$url" --user alice@example.com --date "$p"
  misses 2 'date' briefos-stats --database-url "$url" briefs --until "$p"
done
misses 2 'now' briefos-schedule --database-url "$url" --dry-run --now "2025-10-01T09:00:00Z'; DROP TABLE users; --"
misses 2 'tz' briefos-stats --database-url "$url" --tz "UTC'; DROP TABLE users; --" briefs
misses 1 'no brief' briefos-email --database-url "$url" --preview "x'); DROP TABLE daily_briefs; --"
printf "%s\n" "x'); DROP TABLE emails; --" '{"email_id": "1; DELETE FROM emails"}' >"$tmp/emails.list"
run_timed elist "$bin/briefos-email" --database-url "$url" --transport "maildir:$tmp/Maildir" --jobs "$tmp/emails.list"
check "email --jobs with SQL in the lines: both skipped, exit 0" \
  test "$rc:$(grep -c 'not an email id' "$tmp/elist.err")" = "0:2"
check "everything intact after the lookups" test "$(counts)" = "$start"

# --- the exact user, whose address has a quote, is found and served -------------------
run_timed gen "$bin/briefos-generate" --database-url "$url" --json --user "O'Brien@example.com" --date 2025-10-01
check "generate --user o'brien@example.com finds exactly that user" \
  test "$rc:$(grep -c "\"user_id\":\"$bobby\".*\"status\":\"completed\"" "$tmp/gen.out")" = "0:1"
run_timed gen2 "$bin/briefos-generate" --database-url "$url" --json --user mustache@example.com --date 2025-10-01
check "generate for the user with Mustache in the name: completed" test "$rc" -eq 0
check "the brief stores the SQL-looking names and titles verbatim" \
  test "$(sql "SELECT (strpos(summary_content, ''';  DELETE FROM tasks; --') > 0) AND (strpos(summary_content, '\" OR 1=1; UPDATE users SET email = NULL; --') > 0) FROM daily_briefs WHERE user_id = '$bobby'")" = t
run_timed stats "$bin/briefos-stats" --database-url "$url" user "o'brien@example.com"
check "stats user o'brien@example.com shows the name verbatim" \
  sh -c "test $rc -eq 0 && grep -qF \"x'); DROP TABLE users; --\" '$tmp/stats.out'"
run_timed sched "$bin/briefos-schedule" --database-url "$url" --json --user "o'brien@example.com" --date 2025-10-02
check "schedule backfill for o'brien@example.com queues one job for that user" \
  test "$rc:$(sql "SELECT count(*) FROM queue_jobs WHERE user_id = '$bobby' AND metadata->>'briefDate' = '2025-10-02'")" = "0:1"

# --- template variables: the name goes into the subject, the From name has SQL too -------
mkdir "$tmp/tpl"
printf 'Brief for {{recipient_name}}' >"$tmp/tpl/subject.mustache"
run_timed send "$bin/briefos-email" --database-url "$url" --transport "maildir:$tmp/Maildir" --drain --json \
  --template-dir "$tmp/tpl" --from "Ops'); DROP TABLE emails; -- <ops@example.com>"
check "email sends both, exit 0" test "$rc:$(grep -c '"status":"sent"' "$tmp/send.out")" = "0:2"
if $py - "$tmp/Maildir/new" >"$tmp/tpl.log" 2>&1 <<'PY'
import email, email.policy, glob, sys
seen = {}
for path in glob.glob(sys.argv[1] + "/*"):
    m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
    to = m["To"].addresses[0].addr_spec
    seen[to] = m
    assert m["From"].addresses[0].addr_spec == "ops@example.com"
    assert m["From"].addresses[0].display_name == "Ops'); DROP TABLE emails; --", m["From"]
bob, mus = seen["o'brien@example.com"], seen["mustache@example.com"]
assert str(bob["Subject"]) == "Brief for x'); DROP TABLE users; --", bob["Subject"]
# A value is never rendered again as a template.
assert str(mus["Subject"]) == "Brief for {{recipient_email}} {{{content_html}}} {{#x}}y{{/x}}", mus["Subject"]
html = [p for p in mus.walk() if p.get_content_type() == "text/html"][0].get_content()
assert "{{brief_url}}" in html and "{{&gt; partial}}" in html or "{{> partial}}" in html.replace("&gt;", ">"), "template text not verbatim"
text = [p for p in bob.walk() if p.get_content_type() == "text/plain"][0].get_content()
assert "';  DELETE FROM tasks; --" in text
print("subjects:", str(bob["Subject"]), "|", str(mus["Subject"]))
PY
then ok "template variables carry SQL and Mustache text verbatim, never re-rendered"; cat "$tmp/tpl.log"
else not_ok "template variables verbatim"; show "$tmp/tpl.log"; fi
check "everything intact at the end" test "$(counts)" = "$start"
check "the emails table is still there with its two rows sent" \
  test "$(sql "SELECT count(*) FROM emails WHERE status = 'sent'")" -eq 2
finish
