#!/bin/sh
# briefos-email bounces (issue 18) against the real database, with the DSN
# and ARF fixtures of tests/cli/bounces/ (Postfix, Exim, Gmail- and
# Outlook-style, an ARF complaint, a "delayed" warning, and bad ones):
# - from a Maildir: hard bounces suppressed ('hard_bounce'), the recipient
#   'bounced', a 'bounced' event, on the right email; soft bounces counted
#   and suppressed at --soft-bounce-limit ('soft_bounce'); a complaint
#   suppressed ('complaint') with the user opted out and a 'complained'
#   event; matched by Message-ID, by VERP and by recipient;
# - processed messages in cur/ with ":2,S", bad ones (not a DSN, a DSN for
#   someone else's message, truncated MIME) warned about by file and reason,
#   in cur/ with ":2,F", without stopping the batch;
# - a second run, and the same reports delivered again, change nothing;
# - standard input: one message, and an mbox; twice.
. "$(dirname "$0")/lib.sh"
need_db

email="$bin/briefos-email"
fx="$src/tests/cli/bounces"
url=$(new_migrated_db bounces)
sql() { $PSQL "$url" -XAtqc "$1"; }

# One opted-in user and one sent email per row: email id, address, hours ago.
sql "WITH v(id, address, ago) AS (VALUES
       ('0b0a0000-0000-4000-8000-00000000000a'::uuid, 'gone@example.org', 3),
       ('0b0b0000-0000-4000-8000-00000000000b', 'full@example.org', 2),
       ('0b0c0000-0000-4000-8000-00000000000c', 'lost@gmail.example', 3),
       ('0b0d0000-0000-4000-8000-00000000000d', 'moved@outlook.example', 3),
       ('0b0e0000-0000-4000-8000-00000000000e', 'angry@mailbox.example', 3),
       ('0b0f0000-0000-4000-8000-00000000000f', 'slow@example.org', 3),
       ('0b1f0000-0000-4000-8000-00000000001f', 'f@example.org', 3),
       ('0b1a0000-0000-4000-8000-00000000001a', 'g@example.org', 3),
       ('0b1b0000-0000-4000-8000-00000000001b', 'h@mailbox.example', 3)
     ), u AS (
       INSERT INTO users (email, name) SELECT address, 'U ' || address FROM v RETURNING id, email
     ), p AS (
       INSERT INTO user_brief_preferences (user_id, email_daily_brief) SELECT id, true FROM u
     ), e AS (
       INSERT INTO emails (id, subject, from_email, from_name, status, created_by, message_id, sent_at)
       SELECT v.id, 'Daily Brief', 'briefs@example.com', 'briefos', 'sent', u.id,
              'briefos.' || v.id || '@example.com', now() - make_interval(hours => v.ago)
         FROM v JOIN u ON u.email = v.address RETURNING id, sent_at
     )
     INSERT INTO email_recipients (email_id, recipient_email, status, sent_at)
     SELECT e.id, v.address, 'sent', e.sent_at FROM e JOIN v ON v.id = e.id" >/dev/null
# A later email to full@example.org: a report quoting nothing is about it.
sql "WITH e AS (
       INSERT INTO emails (id, subject, from_email, from_name, status, created_by, message_id, sent_at)
       SELECT '0b0b0000-0000-4000-8000-0000000000b2', 'Daily Brief', 'briefs@example.com', 'briefos',
              'sent', id, 'briefos.0b0b0000-0000-4000-8000-0000000000b2@example.com',
              now() - interval '1 hour'
         FROM users WHERE email = 'full@example.org' RETURNING id, sent_at)
     INSERT INTO email_recipients (email_id, recipient_email, status, sent_at)
     SELECT id, 'full@example.org', 'sent', sent_at FROM e" >/dev/null

# Everything the command may change, in one line.
state() {
  sql "SELECT concat_ws(' | ',
         (SELECT string_agg(email || '=' || reason, ',' ORDER BY email) FROM email_suppressions),
         (SELECT string_agg(event_type || ':' || coalesce(event_data->>'kind', ''), ',' ORDER BY event_type, email_id)
            FROM email_tracking_events),
         (SELECT string_agg(r.recipient_email || '=' || r.status, ',' ORDER BY r.recipient_email, r.email_id)
            FROM email_recipients r),
         (SELECT string_agg(u.email, ',' ORDER BY u.email) FROM user_brief_preferences p JOIN users u ON u.id = p.user_id
           WHERE NOT p.email_daily_brief),
         (SELECT count(*) FROM email_bounce_reports))"
}
reason() { sql "SELECT coalesce((SELECT reason FROM email_suppressions WHERE email = '$1'), 'none')"; }
recipient() { sql "SELECT status FROM email_recipients WHERE email_id = '$1'"; }
events() { sql "SELECT coalesce(string_agg(event_type || ':' || coalesce(event_data->>'kind', ''), ',' ORDER BY event_type), '')
                  FROM email_tracking_events WHERE email_id = '$1'"; }

md="$tmp/maildir"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
batch="postfix-hard exim-soft exim-soft-no-original gmail-hard outlook-verp arf-complaint
       postfix-delayed bad-not-a-dsn bad-foreign bad-truncated"
for f in $batch; do cp "$fx/$f.eml" "$md/new/$f.eml"; done

# --- a Maildir ---------------------------------------------------------------------
expect_status 0 "bounces --maildir reads the batch (bad messages included)" \
  "$email" --database-url "$url" bounces --maildir "$md" --soft-bounce-limit 2
cp "$tmp/out" "$tmp/run1.out"; cp "$tmp/err" "$tmp/run1.err"

A=0b0a0000-0000-4000-8000-00000000000a B=0b0b0000-0000-4000-8000-00000000000b
B2=0b0b0000-0000-4000-8000-0000000000b2 C=0b0c0000-0000-4000-8000-00000000000c
D=0b0d0000-0000-4000-8000-00000000000d E=0b0e0000-0000-4000-8000-00000000000e
F0=0b0f0000-0000-4000-8000-00000000000f

check "Postfix 5.1.1: suppressed as hard_bounce" test "$(reason gone@example.org)" = hard_bounce
check "Postfix 5.1.1: its recipient bounced, a 'bounced' event (hard) on that email" \
  test "$(recipient $A)/$(events $A)" = "bounced/bounced:hard"
check "Gmail-style 5.1.1: suppressed, recipient bounced" \
  test "$(reason lost@gmail.example)/$(recipient $C)/$(events $C)" = "hard_bounce/bounced/bounced:hard"
check "Outlook-style 5.1.10 matched by VERP: suppressed, recipient bounced" \
  test "$(reason moved@outlook.example)/$(recipient $D)/$(events $D)" = "hard_bounce/bounced/bounced:hard"
check "Exim 5.2.2 by Message-ID and 4.2.2 by recipient (the later email): one soft bounce each" \
  test "$(events $B)/$(events $B2)" = "bounced:soft/bounced:soft"
check "soft bounces: the recipients stay sent" test "$(recipient $B)/$(recipient $B2)" = "sent/sent"
check "soft bounces: suppressed at --soft-bounce-limit 2 (soft_bounce)" test "$(reason full@example.org)" = soft_bounce
check "ARF complaint: suppressed as complaint, a 'complained' event" \
  test "$(reason angry@mailbox.example)/$(events $E)" = "complaint/complained:complaint"
check "ARF complaint: the user is opted out of brief emails" \
  test "$(sql "SELECT p.email_daily_brief FROM user_brief_preferences p JOIN users u ON u.id = p.user_id WHERE u.email = 'angry@mailbox.example'")" = f
check "ARF complaint: the other users stay opted in" \
  test "$(sql "SELECT count(*) FROM user_brief_preferences WHERE NOT email_daily_brief")" = 1
check "a 'delayed' DSN records nothing" test "$(reason slow@example.org)/$(events $F0)" = "none/"
check "the DSN for someone else's message touched nothing of gone@example.org's email" \
  test "$(sql "SELECT count(*) FROM email_tracking_events WHERE email_id = '$A'")" = 1
check "stdout: one line per recorded report, naming file, kind, address, email" \
  grep -qx "new/postfix-hard.eml: hard_bounce gone@example.org email $A, suppressed" "$tmp/run1.out"
check "stdout: the soft bounce counted" grep -q "new/exim-soft.eml: soft_bounce full@example.org email $B, soft bounce [12] of 2" "$tmp/run1.out"
check "stdout: the complaint" \
  grep -qx "new/arf-complaint.eml: complaint angry@mailbox.example email $E, suppressed, opted out" "$tmp/run1.out"
check "not a DSN: one warning naming the file and the reason" \
  grep -q "warning.*new/bad-not-a-dsn.eml: not a delivery status notification or feedback report (Content-Type text/plain); left for a human" "$tmp/run1.err"
check "someone else's message: warned, as not ours" \
  grep -q "warning.*new/bad-foreign.eml: about <ticket-4711.1759305600@helpdesk.example.com>, not an email of ours; left for a human" "$tmp/run1.err"
check "truncated MIME: warned" \
  grep -q "warning.*new/bad-truncated.eml: a delivery status notification without a recipient" "$tmp/run1.err"
check "the summary counts every kind" \
  grep -q "10 messages read: 3 hard bounces, 2 soft bounces, 1 complaints, 0 already recorded, 1 nothing to record, 3 left for a human" "$tmp/run1.err"
check "new/ is empty afterwards" test -z "$(ls "$md/new")"
check "processed messages are in cur/ as seen (:2,S)" \
  test "$(ls "$md/cur" | grep -c ':2,S$')" = 7
check "bad messages are in cur/ flagged for a human (:2,F)" \
  test "$(ls "$md/cur" | grep ':2,F$' | sort | tr '\n' ' ')" = "bad-foreign.eml:2,F bad-not-a-dsn.eml:2,F bad-truncated.eml:2,F "
check "a moved message keeps its content" cmp -s "$fx/postfix-hard.eml" "$md/cur/postfix-hard.eml:2,S"

# --- twice: nothing changes -------------------------------------------------------
before=$(state)
expect_status 0 "a second run over the Maildir" "$email" --database-url "$url" bounces --maildir "$md" --soft-bounce-limit 2
check "a second run reads nothing and changes nothing" test "$(state)" = "$before"
check "a second run says so" grep -q "0 messages read" "$tmp/err"
for f in $batch; do cp "$fx/$f.eml" "$md/new/again-$f.eml"; done
expect_status 0 "the same reports delivered again" "$email" --database-url "$url" bounces --maildir "$md" --soft-bounce-limit 2
check "the same reports again change nothing" test "$(state)" = "$before"
check "... and are reported as already recorded" \
  grep -qx "new/again-postfix-hard.eml: already recorded (hard_bounce gone@example.org email $A)" "$tmp/out"
check "... every one of them" grep -q "6 already recorded" "$tmp/err"

# --- standard input ---------------------------------------------------------------
F=0b1f0000-0000-4000-8000-00000000001f G=0b1a0000-0000-4000-8000-00000000001a H=0b1b0000-0000-4000-8000-00000000001b
expect_status 0 "stdin: one message" sh -c "'$email' --database-url '$url' bounces <'$fx/stdin-hard.eml'"
check "stdin: one message recorded" grep -qx "stdin: hard_bounce f@example.org email $F, suppressed" "$tmp/out"
check "stdin: suppressed, recipient bounced" test "$(reason f@example.org)/$(recipient $F)" = "hard_bounce/bounced"
expect_status 0 "stdin: an mbox" sh -c "'$email' --database-url '$url' bounces <'$fx/stdin.mbox'"
check "stdin mbox: the soft bounce (1 of the default 3), not suppressed" \
  test "$(grep -c "stdin#1: soft_bounce g@example.org email $G, soft bounce 1 of 3$" "$tmp/out")/$(reason g@example.org)" = "1/none"
check "stdin mbox: the complaint, opted out" \
  grep -qx "stdin#2: complaint h@mailbox.example email $H, suppressed, opted out" "$tmp/out"
check "stdin mbox: recorded" test "$(reason h@mailbox.example)/$(events $H)" = "complaint/complained:complaint"
before=$(state)
expect_status 0 "stdin: the mbox again" sh -c "'$email' --database-url '$url' bounces <'$fx/stdin.mbox'"
check "stdin: the mbox again changes nothing" test "$(state)" = "$before"
check "stdin: ... and says already recorded" test "$(grep -c 'already recorded' "$tmp/out")" = 2
expect_status 0 "stdin: the message again" sh -c "'$email' --database-url '$url' bounces <'$fx/stdin-hard.eml'"
check "stdin: the message again changes nothing" test "$(state)" = "$before"
expect_status 0 "stdin: not a report" sh -c "'$email' --database-url '$url' bounces <'$fx/bad-not-a-dsn.eml'"
check "stdin: a bad message is warned about by name" grep -q "warning.*stdin: not a delivery status" "$tmp/err"

# --- usage ---------------------------------------------------------------------------
expect_status 2 "--maildir that is not a Maildir: usage error" "$email" --database-url "$url" bounces --maildir "$tmp/nothing"
check "... naming it" grep -q "is not a Maildir" "$tmp/err"
expect_status 2 "--soft-bounce-window 0 refused" "$email" --database-url "$url" bounces --soft-bounce-window 0
expect_status 0 "bounces --help" "$email" bounces --help
check "bounces --help lists its options" grep -q -- "--soft-bounce-limit" "$tmp/out"

finish
