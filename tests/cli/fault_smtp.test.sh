#!/bin/sh
# briefos-email against misbehaving SMTP servers on loopback: a refused
# connection, greetings of 421 and 554 and a server that never greets (the
# relay is unavailable: the email stays pending, no attempt used, exit 6);
# 421, 451 and 452 replies (retried later: the email stays pending, its job
# is rescheduled, then one delivery); RCPT 550 5.1.1 (failed for good,
# recipient bounced, address suppressed); DATA 554 5.7.1 (this email failed,
# the address kept, the relay's reply stored); one that hangs after DATA;
# one that drops the connection mid-message; slow servers within and beyond
# --timeout, including one that accepts after the client gave up (the
# RFC 1047 duplicate, with the same Message-ID). Servers:
# tests/cli/smtp_server.py (aiosmtpd) and tests/cli/smtp_raw_server.py.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

email="$bin/briefos-email"
url=$(new_migrated_db faultsmtp)
sql() { $PSQL "$url" -XAtqc "$1"; }
common="--base-url https://app.example.com --message-id-domain example.com --json"

start_smtp "$tmp/srv"
aio="smtp://127.0.0.1:$smtp_port"
start_smtp "$tmp/raw" "$src/tests/cli/smtp_raw_server.py"
raw="smtp://127.0.0.1:$smtp_port"
stored() { find "$tmp/$1" -name 'msg-*.eml' | wc -l | tr -d ' '; }
# stored_for DIR ADDRESS: messages DIR's server accepted for ADDRESS.
stored_for() { grep -l -F "$2" "$tmp/$1"/msg-*.json 2>/dev/null | wc -l | tr -d ' '; }
script() { printf '%s' "$2" >"$tmp/$1/script"; }

# one_email NAME: seed one pending email (tests/cli/email_seed.sql) for
# NAME@example.org and print its id.
one_email() {
  $PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix="$1" -v count=1 -f "$src/tests/cli/email_seed.sql" >/dev/null
  sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = '${1}1@example.org'"
}
# send ID TRANSPORT [args]: send exactly email ID.
send() {
  _id=$1; _tr=$2; shift 2
  echo "$_id" >"$tmp/one.id"
  run_timed send "$email" --database-url "$url" --transport "$_tr" $common --jobs "$tmp/one.id" "$@"
}
state_of() {
  sql "SELECT e.status || '|' || r.status || '|' || q.status || '|' || q.attempts
         FROM emails e JOIN email_recipients r ON r.email_id = e.id
         JOIN queue_jobs q ON q.metadata->>'emailId' = e.id::text WHERE e.id = '$1'"
}
make_due() { sql "UPDATE queue_jobs SET scheduled_for = now() WHERE metadata->>'emailId' = '$1' AND status = 'pending'" >/dev/null; }
backoff() { sql "SELECT scheduled_for > now() + interval '10 seconds' FROM queue_jobs WHERE metadata->>'emailId' = '$1'"; }
suppressed() { sql "SELECT count(*) FROM email_suppressions WHERE email = '${1}1@example.org'"; }
error_of() { sql "SELECT error_message FROM emails WHERE id = '$1'"; }

# transient NAME DESCRIPTION PATTERN: the last send left email $id pending
# for a retry with backoff, exit 1, nothing suppressed, error matching PATTERN.
transient() {
  if [ "$rc" -eq 1 ] && [ "$(state_of "$id")" = "pending|pending|pending|1" ] && [ "$(backoff "$id")" = t ] \
     && [ "$(suppressed "$1")" -eq 0 ] && grep -q '"status":"retrying"' "$tmp/send.out" \
     && error_of "$id" | grep -qiE -- "$3"; then
    ok "$2: retried later (email pending, job rescheduled, exit 1, not suppressed)"
  else
    not_ok "$2: exit $rc, state $(state_of "$id"), backoff $(backoff "$id"), error: $(error_of "$id")"; show "$tmp/send.err"
  fi
}
# held_back NAME DESCRIPTION PATTERN: the relay was unavailable: email $id
# pending again with no attempt used and no backoff, exit 6 with the
# warning, nothing suppressed, error matching PATTERN.
held_back() {
  if [ "$rc" -eq 6 ] && [ "$(state_of "$id")" = "pending|pending|pending|0" ] && [ "$(backoff "$id")" = f ] \
     && [ "$(suppressed "$1")" -eq 0 ] && grep -q '"status":"deferred"' "$tmp/send.out" \
     && grep -q 'mail relay .* is unavailable' "$tmp/send.err" \
     && error_of "$id" | grep -qiE -- "$3"; then
    ok "$2: held back (email pending, no attempt used, exit 6 with a warning, not suppressed)"
  else
    not_ok "$2: exit $rc, state $(state_of "$id"), backoff $(backoff "$id"), error: $(error_of "$id")"; show "$tmp/send.err"
  fi
}
# delivered_once NAME BEFORE [ATTEMPTS]: after making it due, a send through
# the healthy server delivers exactly one message (the job then has ATTEMPTS
# attempts, 2 by default: the failed one and this one).
delivered_once() {
  make_due "$id"
  script srv 250
  send "$id" "$aio"
  if [ "$rc" -eq 0 ] && [ "$(stored srv)" -eq $(($2 + 1)) ] && [ "$(state_of "$id")" = "sent|sent|completed|${3:-2}" ]; then
    ok "$1: the retry delivers exactly once"
  else not_ok "$1: retry: exit $rc, stored $(stored srv) (was $2), $(state_of "$id")"; show "$tmp/send.err"; fi
}
# refused_message NAME DESCRIPTION: this email failed for good, the address
# kept (recipient failed, not bounced), the relay's reply kept.
refused_message() {
  if [ "$rc" -eq 1 ] && [ "$(state_of "$id")" = "failed|failed|failed|1" ] && [ "$(suppressed "$1")" -eq 0 ] \
     && grep -q '"status":"failed"' "$tmp/send.out"; then
    ok "$2: this email failed, recipient failed (not bounced), address not suppressed"
  else not_ok "$2: exit $rc, $(state_of "$id"), suppressed $(suppressed "$1")"; show "$tmp/send.err"; fi
}
# permanent NAME DESCRIPTION: failed for good, bounced and suppressed.
permanent() {
  if [ "$rc" -eq 1 ] && [ "$(state_of "$id")" = "failed|bounced|failed|1" ] && [ "$(suppressed "$1")" -eq 1 ] \
     && grep -q '"status":"failed"' "$tmp/send.out"; then
    ok "$2: failed for good, recipient bounced, address suppressed"
  else not_ok "$2: exit $rc, $(state_of "$id"), suppressed $(suppressed "$1")"; show "$tmp/send.err"; fi
}

# --- refused connection ---------------------------------------------------------------
id=$(one_email refused)
send "$id" "smtp://127.0.0.1:$(free_port)"
held_back refused "connection refused" "connect"
check "refused: gave up at once ($ms ms)" test "$ms" -lt 10000
delivered_once "connection refused" "$(stored srv)" 1

# --- 4xx replies -----------------------------------------------------------------------------
for code in 421 451 452 rcpt452; do
  id=$(one_email "t$code")
  before=$(stored srv)
  script srv "$code"
  send "$id" "$aio"
  transient "t$code" "$code" "$(echo "$code" | tr -d 'rcpt')"
  check "$code: nothing stored" test "$(stored srv)" -eq "$before"
  # The retry itself is shown once per kind of failure, to keep this short.
  case $code in 421|rcpt452) delivered_once "$code" "$before" ;; esac
done

# --- 5xx replies ----------------------------------------------------------------------------
# reply_of ID: the relay's reply kept on the email, its recipient and its event.
reply_of() {
  sql "SELECT e.smtp_reply->>'stage', e.smtp_reply->>'code', e.smtp_reply->>'enhanced',
              r.smtp_reply = e.smtp_reply, ev.event_data->'reply' = e.smtp_reply
         FROM emails e JOIN email_recipients r ON r.email_id = e.id
         JOIN email_tracking_events ev ON ev.email_id = e.id AND ev.event_type = 'failed'
        WHERE e.id = '$1'"
}
for code in 554 rcpt550; do
  id=$(one_email "p$code")
  before=$(stored srv)
  script srv "$code"
  send "$id" "$aio"
  case $code in
    554)
      refused_message "p$code" "DATA 554 5.7.1 (a content filter)"
      check "554: the relay's reply is kept on the email, its recipient and its event" \
        test "$(reply_of "$id")" = "end_of_data|554|5.7.1|t|t"
      check "554: the error names the reply text" sh -c "echo '$(error_of "$id")' | grep -q 'message content rejected'"
      check "554: --json shows the reply" grep -q '"reply":{"code":554,"enhanced":"5.7.1","stage":"end_of_data"' "$tmp/send.out" ;;
    rcpt550)
      permanent "p$code" "RCPT 550 5.1.1 (no such user)"
      check "rcpt550: the relay's reply is kept" test "$(reply_of "$id")" = "rcpt|550|5.1.1|t|t"
      check "rcpt550: the suppression says why" \
        test "$(sql "SELECT reason || '|' || (detail LIKE '%5.1.1%User unknown%') FROM email_suppressions WHERE email = 'prcpt5501@example.org'")" = "hard_bounce|true" ;;
  esac
  check "$code: nothing stored" test "$(stored srv)" -eq "$before"
  sql "UPDATE queue_jobs SET scheduled_for = now() - interval '1 hour' WHERE metadata->>'emailId' = '$id'" >/dev/null
  script srv 250
  run_timed again "$email" --database-url "$url" --transport "$aio" $common --drain
  # Counted for this address only: the drain may also deliver the 451 and
  # 452 emails above once their backoff has passed (a slow, sanitized run).
  check "$code: a later drain does not retry it" \
    test "$(stored_for srv "p${code}1@example.org"):$(state_of "$id" | cut -d'|' -f1,3,4)" = "0:failed|failed|1"
done
# The content-refused user's next brief goes out: only the one email failed.
# (A second email for the same user, as the next day's briefos-generate makes.)
first=$(sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'p5541@example.org'")
id=$(sql "WITH e AS (
            INSERT INTO emails (subject, content, from_email, from_name, status, tracking_enabled, created_by,
                                category, template_data)
            SELECT subject, '', from_email, from_name, 'pending', true, created_by, category, template_data
              FROM emails WHERE id = '$first' RETURNING id, created_by),
          r AS (INSERT INTO email_recipients (email_id, recipient_email, recipient_name, recipient_type, status)
                SELECT e.id, r.recipient_email, r.recipient_name, 'to', 'pending'
                  FROM e, email_recipients r WHERE r.email_id = '$first'),
          q AS (INSERT INTO queue_jobs (job_type, user_id, metadata, priority, dedup_key)
                SELECT 'generate_brief_email', e.created_by, jsonb_build_object('emailId', e.id::text), 5,
                       'email-' || e.id FROM e)
          SELECT id FROM e" | head -1)
send "$id" "$aio"
check "554: the same user's next email is delivered" \
  test "$rc:$(state_of "$id"):$(stored_for srv "p5541@example.org")" = "0:sent|sent|completed|1:1"

# --- greetings that refuse, a server that never greets: the relay's problem --------
for g in greet421 greet554; do
  id=$(one_email "$g")
  script raw "$g"
  send "$id" "$raw"
  held_back "$g" "$g (the server refuses the session, not the recipient)" "$(echo "$g" | tr -d 'greet')"
done
id=$(one_email greethang)
script raw greethang
send "$id" "$raw" --connect-timeout 1 --timeout 600
held_back greethang "a server that never greets" "time|limit"
check "never greets: --connect-timeout 1 respected, not --timeout 600 ($ms ms)" test "$ms" -lt 8000
delivered_once "never greets" "$(stored srv)" 1

# --- hang after DATA: --timeout respected ----------------------------------------------
id=$(one_email hang)
before=$(stored srv)
script srv hang
send "$id" "$aio" --timeout 3
transient hang "a server hanging after DATA" "time"
check "hang after DATA: gave up at the 3 s timeout ($ms ms)" sh -c "test $ms -ge 2900 && test $ms -lt 10000"
check "hang after DATA: nothing stored" test "$(stored srv)" -eq "$before"
delivered_once "hang after DATA" "$before"

# --- dropped mid-message ---------------------------------------------------------------------
id=$(one_email middata)
rawbefore=$(stored raw)
script raw middata
send "$id" "$raw"
transient middata "a connection dropped mid-message" "."
check "dropped mid-message: the server stored nothing" test "$(stored raw)" -eq "$rawbefore"
check "dropped mid-message: the server saw the cut" grep -q 'dropped mid-DATA' "$tmp/raw/log"
delivered_once "dropped mid-message" "$(stored srv)"

# --- slow servers -------------------------------------------------------------------------------
id=$(one_email slow)
before=$(stored srv)
script srv slow:1500
send "$id" "$aio" --timeout 10
check "slow reply to DATA (1.5 s) within --timeout: sent once ($ms ms)" \
  test "$rc:$(state_of "$id"):$(stored srv)" = "0:sent|sent|completed|1:$((before + 1))"
check "slow reply: the program waited for it" test "$ms" -ge 1500
id=$(one_email trickle)
rawbefore=$(stored raw)
script raw trickle:300
send "$id" "$raw" --timeout 10
check "a server slow on every reply (0.3 s each) within --timeout: sent once ($ms ms)" \
  test "$rc:$(state_of "$id"):$(stored raw)" = "0:sent|sent|completed|1:$((rawbefore + 1))"

# --- accepted after the client gave up: the RFC 1047 window -------------------------------------
id=$(one_email late)
before=$(stored srv)
script srv late:4000
send "$id" "$aio" --timeout 2
transient late "the server accepts 4 s after DATA, the client gave up at 2 s" "time"
check "late acceptance: the server has the message already" test "$(stored srv)" -eq $((before + 1))
delivered_once "late acceptance" "$((before + 1))"
mid=$(sql "SELECT message_id FROM emails WHERE id = '$id'")
dups=$(grep -l "^Message-ID: <$mid>" "$tmp"/srv/msg-*.eml | wc -l)
echo "  documented duplicate (RFC 1047, --timeout shorter than the server): $dups deliveries of <$mid>"
check "late acceptance: two deliveries with the same Message-ID (the documented window)" test "$dups" -eq 2

# --- many emails, every reply 421: none lost, none sent twice ----------------------------------
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix=storm -v count=20 -f "$src/tests/cli/email_seed.sql" >/dev/null
before=$(stored srv)
script srv 421
run_timed storm "$email" --database-url "$url" --transport "$aio" $common --drain --connections 4
check "20 emails against a server answering 421: all 20 retrying, exit 1" \
  test "$rc:$(grep '"recipient":"storm' "$tmp/storm.out" | grep -c '"status":"retrying"')" = "1:20"
script srv 250
sql "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null
run_timed storm2 "$email" --database-url "$url" --transport "$aio" $common --drain --connections 4
check "after the 421 storm: the 20 delivered exactly once each" \
  test "$rc:$(grep -l '^To: .*storm[0-9]*@example.org' "$tmp"/srv/msg-*.eml | wc -l):$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'storm%' AND e.status = 'sent'")" = "0:20:20"
check "no job left pending or processing" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status IN ('pending', 'processing')")" -eq 0
finish
