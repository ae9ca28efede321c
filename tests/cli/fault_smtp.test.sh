#!/bin/sh
# briefos-email against misbehaving SMTP servers on loopback: a refused
# connection; 421, 451 and 452 replies (retried later: the email stays
# pending, its job is rescheduled, then one delivery); 550 and 554 (failed
# for good, recipient bounced, address suppressed, never retried); greetings
# of 421 and 554; a server that never greets; one that hangs after DATA;
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
# delivered_once NAME SRV BEFORE: after making it due, a send through the
# healthy server delivers exactly one message.
delivered_once() {
  make_due "$id"
  script srv 250
  send "$id" "$aio"
  if [ "$rc" -eq 0 ] && [ "$(stored srv)" -eq $(($2 + 1)) ] && [ "$(state_of "$id")" = "sent|sent|completed|2" ]; then
    ok "$1: the retry delivers exactly once"
  else not_ok "$1: retry: exit $rc, stored $(stored srv) (was $2), $(state_of "$id")"; show "$tmp/send.err"; fi
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
transient refused "connection refused" "connect"
check "refused: gave up at once ($ms ms)" test "$ms" -lt 10000
delivered_once "connection refused" "$(stored srv)"

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
for code in 554 rcpt550; do
  id=$(one_email "p$code")
  before=$(stored srv)
  script srv "$code"
  send "$id" "$aio"
  permanent "p$code" "$code"
  check "$code: nothing stored" test "$(stored srv)" -eq "$before"
  sql "UPDATE queue_jobs SET scheduled_for = now() - interval '1 hour' WHERE metadata->>'emailId' = '$id'" >/dev/null
  script srv 250
  run_timed again "$email" --database-url "$url" --transport "$aio" $common --drain
  # Counted for this address only: the drain may also deliver the 451 and
  # 452 emails above once their backoff has passed (a slow, sanitized run).
  check "$code: a later drain does not retry it" \
    test "$(stored_for srv "p${code}1@example.org"):$(state_of "$id")" = "0:failed|bounced|failed|1"
done

# --- greetings that refuse, a server that never greets -------------------------------
for g in greet421 greet554; do
  id=$(one_email "$g")
  script raw "$g"
  send "$id" "$raw"
  transient "$g" "$g (the server refuses the session, not the recipient)" "$(echo "$g" | tr -d 'greet')"
done
id=$(one_email greethang)
script raw greethang
send "$id" "$raw" --connect-timeout 1 --timeout 600
transient greethang "a server that never greets" "time"
check "never greets: --connect-timeout 1 respected, not --timeout 600 ($ms ms)" test "$ms" -lt 8000
delivered_once "never greets" "$(stored srv)"

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
