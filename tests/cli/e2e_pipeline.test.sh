#!/bin/sh
# The demo pipeline end to end, on a fresh migrated database seeded with
# scripts/demo-seed.sql (every demo user due a minute from now):
#
#   briefos-schedule --json | briefos-generate --jobs - --json |
#     briefos-email --jobs - --transport maildir:DIR --json
#
# Every expected count comes from the database by independent SQL (users,
# preferences, projects), never from the programs' own output: every due
# user gets exactly one brief; every opted-in user with something in the
# brief gets exactly one message in the Maildir, and that message carries
# that user's stored brief (every link title of daily_briefs.summary_content
# is in the decoded text part); opted-out users get a brief and no email.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
url=$(new_migrated_db e2e_pipe)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/scripts/demo-seed.sql" >/dev/null
sql() { $PSQL "$url" -XAtqc "$1"; }
md="$tmp/maildir"

# --- what the database says should happen ------------------------------------
due=$(sql "SELECT count(*) FROM user_brief_preferences WHERE is_active")
opted_out=$(sql "SELECT count(*) FROM user_brief_preferences WHERE is_active AND NOT email_daily_brief")
# An empty brief (no active project) is not emailed unless --email-empty.
mailable=$(sql "SELECT count(*) FROM user_brief_preferences p WHERE p.is_active AND p.email_daily_brief
                  AND EXISTS (SELECT 1 FROM projects j WHERE j.user_id = p.user_id AND j.status = 'active')")
check "the seed has due, opted-out and mailable users ($due, $opted_out, $mailable)" \
  test "$due" -gt 0 -a "$opted_out" -gt 0 -a "$mailable" -gt 0 -a "$mailable" -lt "$((due - opted_out))"

# --- the pipeline, each stage's exit status kept --------------------------------
{ "$bin/briefos-schedule" --database-url "$url" --json 2>"$tmp/sched.err"; echo $? >"$tmp/rc.sched"; } \
  | tee "$tmp/sched.json" \
  | { "$bin/briefos-generate" --database-url "$url" --jobs - --json 2>"$tmp/gen.err"; echo $? >"$tmp/rc.gen"; } \
  | tee "$tmp/gen.json" \
  | { "$bin/briefos-email" --database-url "$url" --jobs - --transport "maildir:$md" --json \
        2>"$tmp/email.err"; echo $? >"$tmp/rc.email"; } >"$tmp/email.json"
check "briefos-schedule exits 0 in the pipeline" test "$(cat "$tmp/rc.sched")" -eq 0
check "briefos-generate exits 0 in the pipeline" test "$(cat "$tmp/rc.gen")" -eq 0
check "briefos-email exits 0 in the pipeline" test "$(cat "$tmp/rc.email")" -eq 0
check "schedule queued one job per due user" test "$(wc -l <"$tmp/sched.json")" -eq "$due"
check "generate reported one completed brief per due user" \
  test "$(grep -c '"status":"completed"' "$tmp/gen.json")" -eq "$due"
check "email reported one sent message per mailable user" \
  test "$(grep -c '"status":"sent"' "$tmp/email.json")" -eq "$mailable"

# --- the database after the pipeline --------------------------------------------
check "every due user has exactly one completed brief" \
  test "$(sql "SELECT count(*) FROM user_brief_preferences p WHERE p.is_active
                 AND (SELECT count(*) FROM daily_briefs b WHERE b.user_id = p.user_id
                        AND b.generation_status = 'completed') = 1")" -eq "$due"
check "no brief for anyone else, and no second brief" \
  test "$(sql "SELECT count(*) FROM daily_briefs")" -eq "$due"
check "each brief is for the user's local date of the run" \
  test "$(sql "SELECT count(*) FROM daily_briefs b JOIN user_brief_preferences p USING (user_id)
                 WHERE b.brief_date = (now() AT TIME ZONE p.timezone)::date
                    OR b.brief_date = ((now() + interval '2 minutes') AT TIME ZONE p.timezone)::date")" -eq "$due"
check "one sent email (with one sent recipient) per mailable user, none for anybody else" \
  test "$(sql "SELECT count(DISTINCT e.created_by) || ' ' || count(*) FROM emails e
                 JOIN email_recipients r ON r.email_id = e.id
                 JOIN user_brief_preferences p ON p.user_id = e.created_by
                 WHERE e.status = 'sent' AND r.status = 'sent' AND p.email_daily_brief
                   AND EXISTS (SELECT 1 FROM projects j WHERE j.user_id = p.user_id AND j.status = 'active')")" \
       = "$mailable $mailable"
check "no email rows beyond those" test "$(sql "SELECT count(*) FROM emails")" -eq "$mailable"
check "opted-out users have a brief and no email" \
  test "$(sql "SELECT count(*) FROM user_brief_preferences p WHERE p.is_active AND NOT p.email_daily_brief
                 AND EXISTS (SELECT 1 FROM daily_briefs b WHERE b.user_id = p.user_id)
                 AND NOT EXISTS (SELECT 1 FROM emails e WHERE e.created_by = p.user_id)
                 AND NOT EXISTS (SELECT 1 FROM email_recipients r JOIN users u ON lower(u.email) = lower(r.recipient_email)
                                 WHERE u.id = p.user_id)")" -eq "$opted_out"
check "every job completed, none left pending or failed" \
  test "$(sql "SELECT count(*) FILTER (WHERE status = 'completed') || ' ' || count(*) FROM queue_jobs")" \
       = "$((due + mailable)) $((due + mailable))"

# --- the Maildir: one message per mailable user, carrying that user's brief ----------
check "the Maildir holds exactly one file per mailable user" \
  test "$(find "$md/new" -type f | wc -l)" -eq "$mailable"
check "nothing left in the Maildir's tmp/" test "$(find "$md/tmp" -type f | wc -l)" -eq 0
# Each email with its recipient and its stored brief, as JSON for Python.
sql "SELECT json_agg(json_build_object('email_id', e.id, 'message_id', e.message_id, 'to', u.email,
        'summary', b.summary_content, 'opted_out', NOT p.email_daily_brief))
       FROM daily_briefs b JOIN users u ON u.id = b.user_id
       JOIN user_brief_preferences p ON p.user_id = b.user_id
       LEFT JOIN emails e ON e.template_data->>'brief_id' = b.id::text" >"$tmp/briefs.json"
if $py - "$md" "$tmp/briefs.json" >"$tmp/py.log" 2>&1 <<'PY'
import email, email.policy, json, os, re, sys
md, briefs_file = sys.argv[1:3]
rows = json.load(open(briefs_file))
by_email = {r["email_id"]: r for r in rows if r["email_id"]}
opted_out = {r["to"].lower() for r in rows if r["opted_out"]}
seen = {}
for name in sorted(os.listdir(os.path.join(md, "new"))):
    msg = email.message_from_bytes(open(os.path.join(md, "new", name), "rb").read(),
                                   policy=email.policy.default)
    eid = msg["X-Briefos-Email-Id"]
    assert eid in by_email, "message %s names no stored email: %s" % (name, eid)
    assert eid not in seen, "email %s delivered twice (%s, %s)" % (eid, seen[eid], name)
    seen[eid] = name
    row = by_email[eid]
    to = msg["To"].addresses[0].addr_spec.lower()
    assert to == row["to"].lower(), (to, row["to"])
    assert to not in opted_out, "opted-out user %s got an email" % to
    assert msg["Message-ID"] == "<%s>" % row["message_id"], (msg["Message-ID"], row["message_id"])
    text = msg.get_body(("plain",)).get_content()
    # Every link title of the stored brief (project names, task titles,
    # notes) appears in the message's text part.
    titles = re.findall(r"\[([^\]]+)\]\(/", row["summary"])
    assert len(titles) >= 3, "brief of %s has too few links: %r" % (to, titles)
    missing = [t for t in titles if t not in text]
    assert not missing, "email to %s lacks %r of its brief" % (to, missing[:5])
    # One title: the email's own "Daily Brief - <long date>" replaces the
    # brief's heading (issue 20); it names the brief's date.
    heading = row["summary"].split("\n", 1)[0].lstrip("# ").strip()
    year = heading.rsplit(" ", 1)[-1]
    assert text.startswith("Daily Brief - ") and year in text.split("\n", 1)[0], \
        "email to %s lacks the title of the brief's date %r: %r" % (to, heading, text[:80])
assert set(seen) == set(by_email), "stored emails without a message: %s" % (set(by_email) - set(seen))
print("%d messages match their briefs" % len(seen))
PY
then ok "each message goes to its brief's user and carries that brief ($(cat "$tmp/py.log"))"
else not_ok "messages and briefs"; sed 's/^/  | /' "$tmp/py.log"; fi

# --- running the pipeline again changes nothing --------------------------------------
"$bin/briefos-schedule" --database-url "$url" --json 2>/dev/null \
  | "$bin/briefos-generate" --database-url "$url" --jobs - --json 2>/dev/null \
  | "$bin/briefos-email" --database-url "$url" --jobs - --transport "maildir:$md" --json >"$tmp/again.json" 2>/dev/null
check "a second pipeline run sends nothing" test ! -s "$tmp/again.json"
check "still one brief per due user and one message per mailable user" \
  test "$(sql "SELECT count(*) FROM daily_briefs") $(find "$md/new" -type f | wc -l)" = "$due $mailable"

finish
