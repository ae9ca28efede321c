#!/bin/sh
# briefos-email end to end against a real SMTP server on loopback
# (tests/cli/smtp_server.py, Debian's aiosmtpd under /usr/bin/python3):
# well-formed messages, 451 then 250, 550, a connection dropped mid-DATA,
# crashes between claim and send and between send and record, pipelines,
# Maildir, dry run, preview and the missing-transport error; batched records
# (a crash resends only what was left 'sending', a stop puts the unstarted
# rest of a batch back to pending).
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
email="$bin/briefos-email"
seed_sql="$src/tests/cli/email_seed.sql"
srv="$tmp/smtp"
mkfifo "$tmp/port.fifo"
$py "$src/tests/cli/smtp_server.py" "$srv" >"$tmp/port.fifo" 2>"$tmp/smtp.log" &
srv_pid=$!
read -r port <"$tmp/port.fifo"
trap 'kill $srv_pid 2>/dev/null || true; cleanup_dbs; rm -rf "$tmp"' EXIT
transport="smtp://127.0.0.1:$port"
common="--base-url https://app.example.com --message-id-domain example.com"

q() { $PSQL "$1" -XAtqc "$2"; }
seed() { $PSQL "$1" -Xq -v ON_ERROR_STOP=1 -v prefix="$2" -v count="$3" -f "$seed_sql" >/dev/null; }
stored() { find "$srv" -name 'msg-*.eml' | wc -l | tr -d ' '; }
script() { printf '%s' "$1" >"$srv/script"; }
# The crashed or retried job is due now: what the lease expiry or the
# backoff would do given time, without waiting for it.
expire_leases() { q "$1" "UPDATE queue_jobs SET locked_until = now() - interval '1 second' WHERE status = 'processing'" >/dev/null; }
make_due() { q "$1" "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null; }

# --- 1. three emails: delivered, well-formed, recorded -----------------------
db=$(new_migrated_db email1)
seed "$db" one 3
expect_status 0 "delivers three emails over one connection" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json --connections 1
cp "$tmp/out" "$tmp/run1.json"
check "three messages arrived" test "$(stored)" -eq 3
check "one SMTP session for three messages (connection reuse)" test "$(cat "$srv/sessions")" -eq 1
check "three sent JSON lines" test "$(grep -c '"status":"sent"' "$tmp/run1.json")" -eq 3
check "emails sent" test "$(q "$db" "SELECT count(*) FROM emails WHERE status = 'sent' AND sent_at IS NOT NULL")" -eq 3
check "recipients sent" test "$(q "$db" "SELECT count(*) FROM email_recipients WHERE status = 'sent' AND sent_at IS NOT NULL")" -eq 3
check "one sent event each" test "$(q "$db" "SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'")" -eq 3
check "jobs completed" test "$(q "$db" "SELECT count(*) FROM queue_jobs WHERE status = 'completed'")" -eq 3
q "$db" "SELECT id || ' ' || message_id || ' ' || subject || ' ' || tracking_id FROM emails" >"$tmp/emails.txt"
q "$db" "SELECT unsubscribe_token FROM email_recipients" >"$tmp/tokens.txt"
if $py - "$srv" "$tmp/emails.txt" "$tmp/tokens.txt" >"$tmp/strict.log" 2>&1 <<'PY'
import email, email.policy, glob, sys
srv, emails_file, tokens_file = sys.argv[1:4]
rows = {}
for line in open(emails_file):
    eid, mid, rest = line.rstrip("\n").split(" ", 2)
    subject, tracking = rest.rsplit(" ", 1)
    rows["<" + mid + ">"] = (eid, subject, tracking)
tokens = set(t.strip() for t in open(tokens_file))
seen = set()
for path in sorted(glob.glob(srv + "/msg-*.eml")):
    raw = open(path, "rb").read()
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in " + path
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(l) <= 78 for l in head.split(b"\r\n")), "long header line"
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    assert not msg.defects, msg.defects
    for h in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
              "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert msg[h] is not None, "missing " + h
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"], parts
    for p in parts:
        assert not p.defects, p.defects
        assert p["Content-Transfer-Encoding"] == "quoted-printable"
    eid, subject, tracking = rows[msg["Message-ID"]]
    seen.add(eid)
    assert str(msg["Subject"]) == subject
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    lu = str(msg["List-Unsubscribe"])
    assert "<https://app.example.com/unsubscribe/" in lu and "<mailto:unsubscribe+" in lu and "@example.com>" in lu, lu
    assert any(t in lu for t in tokens)
    text = parts[0].get_content()
    html = parts[1].get_content()
    assert "Caf\u00e9 r\u00e9sum\u00e9" in text and "Caf\u00e9 r\u00e9sum\u00e9" in html
    assert "https://app.example.com/projects/11111111-2222-4333-8444-555555555555/tasks/1" in text
    assert 'href="https://app.example.com/projects/11111111' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.split("a bad link")[0].split("href=")[-1]
    # The unsafe link is shown as its label, with no link at all (issue 17).
    assert 'href="#"' not in html and "a bad link" in html and "javascript:" not in html
    assert html.count("https://app.example.com/api/email-tracking/" + tracking) == 1
    assert html.count("email-tracking") == 1
    assert "https://app.example.com/settings" in html and "/briefs/" in html
assert len(seen) == len(rows) == 3, (seen, rows)
print("strict parse ok")
PY
then ok "messages parse in strict mode with every header, text before html"; else not_ok "strict parse"; sed 's/^/  | /' "$tmp/strict.log"; fi
expect_status 0 "a second drain finds nothing to do" \
  "$email" --database-url "$db" --transport "$transport" $common --drain
check "still three messages" test "$(stored)" -eq 3

# --- 2. 451 then 250: retried, delivered exactly once --------------------------
db=$(new_migrated_db email2)
seed "$db" two 1
before=$(stored)
script "451,250"
expect_status 1 "a 451 is retried (exit 1)" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "reported retrying" grep -q '"status":"retrying"' "$tmp/out"
check "email back to pending with the error" test "$(q "$db" "SELECT status || ':' || (error_message LIKE '%451%') FROM emails")" = "pending:true"
check "recipient pending with the error" test "$(q "$db" "SELECT status || ':' || (error_message LIKE '%451%') FROM email_recipients")" = "pending:true"
check "job pending with a backoff" test "$(q "$db" "SELECT status || ':' || (scheduled_for > now()) FROM queue_jobs")" = "pending:true"
check "nothing stored for the 451" test "$(stored)" -eq "$before"
make_due "$db"
expect_status 0 "the retry delivers" "$email" --database-url "$db" --transport "$transport" $common --drain
check "exactly one delivery after 451 then 250" test "$(stored)" -eq $((before + 1))
check "email sent after retry" test "$(q "$db" "SELECT status FROM emails")" = sent

# --- 3. RCPT 550 5.1.1 (no such user): bounced and suppressed, not retried ----
db=$(new_migrated_db email3)
seed "$db" three 1
before=$(stored)
script "rcpt550"
expect_status 1 "a 550 fails the email (exit 1)" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "reported failed" grep -q '"status":"failed"' "$tmp/out"
check "email failed" test "$(q "$db" "SELECT status FROM emails")" = failed
check "recipient bounced" test "$(q "$db" "SELECT status FROM email_recipients")" = bounced
check "address suppressed as hard_bounce" test "$(q "$db" "SELECT reason FROM email_suppressions WHERE email = 'three1@example.org'")" = hard_bounce
check "job failed, not retried" test "$(q "$db" "SELECT status || ':' || attempts FROM queue_jobs")" = "failed:1"
check "a failed event" test "$(q "$db" "SELECT count(*) FROM email_tracking_events WHERE event_type = 'failed'")" -eq 1
check "nothing stored for the 550" test "$(stored)" -eq "$before"
script "250"
# The next email to the suppressed address is cancelled, not sent.
q "$db" "UPDATE emails SET status = 'pending'; UPDATE email_recipients SET status = 'pending';
         INSERT INTO queue_jobs (job_type, metadata, dedup_key) SELECT 'generate_brief_email',
         jsonb_build_object('emailId', id), 'email-' || id FROM emails" >/dev/null
expect_status 0 "an email to a suppressed address is cancelled" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "reported cancelled" grep -q '"status":"cancelled"' "$tmp/out"
check "email and recipient cancelled" test "$(q "$db" "SELECT e.status || ':' || r.status FROM emails e JOIN email_recipients r ON r.email_id = e.id")" = "cancelled:cancelled"
check "still nothing stored" test "$(stored)" -eq "$before"

# --- 4. connection dropped mid-DATA: retried once delivery is possible ---------
db=$(new_migrated_db email4)
seed "$db" four 1
before=$(stored)
script "drop,250"
expect_status 1 "a dropped connection is retried" \
  "$email" --database-url "$db" --transport "$transport" $common --drain
check "email pending after the drop" test "$(q "$db" "SELECT status FROM emails")" = pending
make_due "$db"
expect_status 0 "delivered after the drop" "$email" --database-url "$db" --transport "$transport" $common --drain
check "exactly one delivery after the drop" test "$(stored)" -eq $((before + 1))

# --- 5. crash between send and record: the documented duplicate window --------
db=$(new_migrated_db email5)
seed "$db" five 1
before=$(stored)
set +e
BRIEFOS_FAULT=after_send "$email" --database-url "$db" --transport "$transport" $common --drain >/dev/null 2>&1
rc=$?
set -e
check "the process died after the server accepted (SIGKILL)" test "$rc" -eq 137
check "the server has it" test "$(stored)" -eq $((before + 1))
check "the database still says sending" test "$(q "$db" "SELECT status FROM emails")" = sending
expire_leases "$db"
expect_status 0 "the rescued job resends" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "resent flagged in JSON" grep -q '"resent":true' "$tmp/out"
check "the resend is logged as the duplicate window" grep -q "duplicate window" "$tmp/err"
check "two deliveries (the documented duplicate)" test "$(stored)" -eq $((before + 2))
mid=$(q "$db" "SELECT message_id FROM emails")
check "both carry the same Message-ID" test "$(grep -l "^Message-ID: <$mid>" "$srv"/msg-*.eml | wc -l)" -eq 2
check "recorded as sent once" test "$(q "$db" "SELECT status || ':' || (SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent') FROM emails")" = "sent:1"

# --- 6. crash between claim and send: delivered once ---------------------------
db=$(new_migrated_db email6)
seed "$db" six 1
before=$(stored)
set +e
BRIEFOS_FAULT=after_claim "$email" --database-url "$db" --transport "$transport" $common --drain >/dev/null 2>&1
rc=$?
set -e
check "the process died after claiming" test "$rc" -eq 137
check "nothing sent by the crashed run" test "$(stored)" -eq "$before"
check "email still pending" test "$(q "$db" "SELECT status FROM emails")" = pending
expire_leases "$db"
expect_status 0 "the rescued job sends" "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "exactly one delivery after a crash before sending" test "$(stored)" -eq $((before + 1))
check "not flagged as a resend" sh -c "! grep -q resent '$tmp/out'"

# --- 7. crash after 'sending' was committed, before the hand-over -------------
db=$(new_migrated_db email7)
seed "$db" seven 1
before=$(stored)
set +e
BRIEFOS_FAULT=before_send "$email" --database-url "$db" --transport "$transport" $common --drain >/dev/null 2>&1
set -e
check "sending committed, nothing delivered" test "$(q "$db" "SELECT status FROM emails"):$(stored)" = "sending:$before"
expire_leases "$db"
expect_status 0 "the rescued job sends with the stored Message-ID" \
  "$email" --database-url "$db" --transport "$transport" $common --drain
check "exactly one delivery" test "$(stored)" -eq $((before + 1))

# --- 8. pipeline input, Maildir, dry run, preview, no transport --------------
db=$(new_migrated_db email8)
seed "$db" eight 3
first=$(q "$db" "SELECT id FROM emails ORDER BY id LIMIT 1")
printf '{"job_id": 1, "email_id": "%s", "status": "completed"}\n{"job_id": 2, "email_id": null}\n' "$first" >"$tmp/gen.jsonl"
expect_status 0 "--jobs - sends exactly the emails named" \
  sh -c "\"$email\" --database-url '$db' --transport 'maildir:$tmp/Maildir' $common --jobs - --json <'$tmp/gen.jsonl'"
check "one sent line for the named email" test "$(grep -c "\"email_id\":\"$first\".*\"status\":\"sent\"" "$tmp/out")" -eq 1
check "one file in Maildir/new" test "$(ls "$tmp/Maildir/new" | wc -l)" -eq 1
check "nothing left in Maildir/tmp" test "$(ls "$tmp/Maildir/tmp" | wc -l)" -eq 0
check "the other two still pending" test "$(q "$db" "SELECT count(*) FROM emails WHERE status = 'pending'")" -eq 2
expect_status 0 "--dry-run prints messages" "$email" --database-url "$db" $common --dry-run
check "dry run printed two messages" test "$(grep -c '^Message-ID: ' "$tmp/out")" -eq 2
check "dry run wrote nothing" test "$(q "$db" "SELECT count(*) FROM queue_jobs WHERE status = 'pending'"):$(q "$db" "SELECT count(*) FROM emails WHERE status = 'pending'")" = "2:2"
brief=$(q "$db" "SELECT template_data->>'brief_id' FROM emails WHERE id = '$first'")
expect_status 0 "--preview --html writes the HTML part" \
  "$email" --database-url "$db" $common --preview "$brief" --html --output "$tmp/preview.html"
check "preview has the brief" grep -q "Launch website" "$tmp/preview.html"
expect_status 2 "no transport is a usage error" env -u BRIEFOS_EMAIL_TRANSPORT "$email" --database-url "$db" --drain
check "no transport message" grep -q "no mail transport configured" "$tmp/err"
check "nothing was claimed without a transport" test "$(q "$db" "SELECT count(*) FROM queue_jobs WHERE status = 'pending'")" -eq 2
expect_status 2 "a password in the URL is refused" \
  "$email" --database-url "$db" --transport "smtp://u:secret@127.0.0.1:$port" --drain
check "the password is not echoed" sh -c "! grep -q secret '$tmp/err'"

# --- 9. batched records: a crash loses no record and resends only 'sending' ---
# --batch 2: each batch is marked 'sending' in one statement and recorded
# 'sent' in one statement at its end (a long --flush-interval keeps the
# record from coming earlier). The crash comes right after the server
# accepted the third message: batch 1 is recorded, batch 2 is not.
script 250
db=$(new_migrated_db email9)
seed "$db" nine 6
before=$(stored)
set +e
BRIEFOS_FAULT=after_send BRIEFOS_FAULT_COUNT=3 "$email" --database-url "$db" --transport "$transport" $common \
  --drain --connections 1 --batch 2 --flush-interval 1000 >/dev/null 2>&1
rc=$?
set -e
check "batched: the process died after the third acceptance" test "$rc" -eq 137
check "batched: the server has three" test "$(stored)" -eq $((before + 3))
check "batched: first batch recorded, second left sending, rest untouched" \
  test "$(q "$db" "SELECT string_agg(status || ':' || n, ' ' ORDER BY status) FROM (SELECT status, count(*) n FROM emails GROUP BY 1) s")" = "pending:2 sending:2 sent:2"
q "$db" "SELECT message_id FROM emails WHERE status = 'sent'" >"$tmp/recorded.txt"
expire_leases "$db"
expect_status 0 "batched: the rescued jobs finish the run" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json --connections 1 --batch 2
check "batched: all six sent, one sent event each" \
  test "$(q "$db" "SELECT count(*) FILTER (WHERE status = 'sent') || ':' || (SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent') FROM emails")" = "6:6"
check "batched: seven deliveries (one duplicate)" test "$(stored)" -eq $((before + 7))
check "batched: the two left sending are flagged resent" test "$(grep -c '"resent":true' "$tmp/out")" -eq 2
for mid in $(cat "$tmp/recorded.txt"); do
  check "batched: recorded before the crash, delivered once <$mid>" \
    test "$(grep -l "^Message-ID: <$mid>" "$srv"/msg-*.eml | wc -l)" -eq 1
done
dup=$(q "$db" "SELECT message_id FROM emails e WHERE EXISTS (SELECT 1 FROM email_tracking_events t
              WHERE t.email_id = e.id AND (t.event_data->>'resent')::boolean)" | while read -r mid; do
        grep -l "^Message-ID: <$mid>" "$srv"/msg-*.eml | wc -l; done | sort | tr '\n' ' ')
check "batched: of the two resent, one was delivered twice, one once (same Message-ID)" test "$dup" = "1 2 "

# --- 10. batched: jobs not started at a stop go back to pending, not sending ----
db=$(new_migrated_db email10)
seed "$db" ten 4
# Each message takes 1.5 s: the first starts before the 2 s deadline, the
# third cannot, so one or two are sent and the rest of the batch (marked
# 'sending' with the first) is not started.
script "slow:1500"
expect_status 130 "batched: --max-runtime stops in the middle of a batch" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --connections 1 --batch 4 --max-runtime 2
sent=$(q "$db" "SELECT count(*) FROM emails WHERE status = 'sent'")
check "batched: one or two sent before the stop" test "$sent" -ge 1 -a "$sent" -le 2
check "batched: the rest back to pending (emails, recipients, jobs), none left sending" \
  test "$(q "$db" "SELECT count(*) FILTER (WHERE status = 'pending') || ':' || count(*) FILTER (WHERE status = 'sending') FROM emails"):$(q "$db" "SELECT count(*) FROM email_recipients WHERE status = 'pending'"):$(q "$db" "SELECT count(*) FROM queue_jobs WHERE status = 'pending'")" = "$((4 - sent)):0:$((4 - sent)):$((4 - sent))"
script 250
expect_status 0 "batched: the released jobs are sent later" \
  "$email" --database-url "$db" --transport "$transport" $common --drain --json
check "batched: not flagged as resends" sh -c "! grep -q resent '$tmp/out'"
check "batched: four sent" test "$(q "$db" "SELECT count(*) FROM emails WHERE status = 'sent'")" -eq 4

finish
