#!/bin/sh
# briefos-email through the ordinary bad days of a relay (issue 16), with
# real servers on loopback (tests/cli/smtp_server.py, smtp_raw_server.py):
# - a relay down for a while and then back under a long-running worker:
#   every email delivered once, none failed, no attempt used while down;
# - a DNS failure and a relay that never greets, from cron (--drain): the
#   batch goes back after the first failure (one connection, not one per
#   email), the run stops after --max-relay-failures with exit 6 and a
#   warning, nothing failed or suppressed;
# - a relay that hangs after EHLO: the batch is handed back within about
#   twice --command-timeout; SIGTERM during the hang exits within seconds
#   and loses nothing;
# - the retry horizon: a 451 retries past the old 3 attempts, and fails once
#   --give-up-after has passed, with the relay's reply kept;
# - the recipient read at send time: a changed address gets the email (the
#   old one nothing), an invalid one cancels it; a CR/LF in the name is
#   cleaned, never fatal;
# - briefos-stats user shows the relay's reply.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

email="$bin/briefos-email"
url=$(new_migrated_db emailrelay)
sql() { $PSQL "$url" -XAtqc "$1"; }
common="--base-url https://app.example.com --message-id-domain example.com --json"
seed() { $PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix="$1" -v count="$2" -f "$src/tests/cli/email_seed.sql" >/dev/null; }
# state PREFIX: "status:attempts" of PREFIX's emails and jobs, counted.
state() {
  sql "SELECT string_agg(s, ',' ORDER BY s) FROM (
         SELECT e.status || '/' || q.status || '/' || q.attempts || 'x' || count(*) AS s
           FROM emails e JOIN users u ON u.id = e.created_by
           JOIN queue_jobs q ON q.metadata->>'emailId' = e.id::text
          WHERE u.email LIKE '$1%' GROUP BY e.status, q.status, q.attempts) t"
}
stored_for() { grep -l -F "$2" "$tmp/$1"/msg-*.json 2>/dev/null | wc -l | tr -d ' '; }

# --- a relay down, then back, under a long-running worker ----------------------------------
# Take a free port, run the worker against it (refused), then start the relay
# on that very port.
port=$(free_port)
seed down 5
"$email" --database-url "$url" --transport "smtp://127.0.0.1:$port" $common \
  --backoff-cap 2s --poll-interval 200 >"$tmp/down.out" 2>"$tmp/down.err" &
wpid=$!
at_exit "kill $wpid 2>/dev/null || true"
# Three failures in a row: at least 1 + 2 s of pauses while the relay is down.
poll_until 60 sh -c "test \$(grep -c 'unavailable' '$tmp/down.err') -ge 3" >/dev/null \
  || { not_ok "no outage warnings"; show "$tmp/down.err"; }
check "relay down: every email still pending, no attempt used, none failed" \
  test "$(state down)" = "pending/pending/0x5"
check "relay down: said at warning level (cron's -q keeps it)" grep -q 'warning.*unavailable' "$tmp/down.err"
check "relay down: a long-running worker keeps running" kill -0 "$wpid"
SMTP_PORT=$port start_smtp "$tmp/up"
check "the relay came back on the same port" test "$smtp_port" = "$port"
poll_until 30 sh -c "test \"\$($PSQL '$url' -XAtqc \"SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'down%' AND e.status = 'sent'\")\" = 5" >/dev/null \
  || { not_ok "not all sent after the relay came back"; show "$tmp/down.err"; }
kill -TERM "$wpid"; wait "$wpid" || true
check "relay back: all 5 sent, each job on its first attempt" test "$(state down)" = "sent/completed/1x5"
check "relay back: each address received exactly one message" \
  test "$(for i in 1 2 3 4 5; do stored_for up "down$i@example.org"; done | tr -d '\n')" = "11111"
check "relay back: the log says so" grep -q 'is back after' "$tmp/down.err"

# --- from cron: a DNS failure stops the run with exit 6 ---------------------------------------
seed dns 3
run_timed dns "$email" --database-url "$url" --transport smtp://mail.invalid --connect-timeout 3 $common \
  --drain --max-relay-failures 2
check "DNS failure: exit 6 (the relay is unavailable)" test "$rc" -eq 6
check "DNS failure: every email pending, no attempt used" test "$(state dns)" = "pending/pending/0x3"
check "DNS failure: a warning names the relay and the reason" \
  grep -q 'mail relay smtp://mail.invalid is unavailable.*resolve' "$tmp/dns.err"
check "DNS failure: nothing suppressed" test "$(sql "SELECT count(*) FROM email_suppressions")" -eq 0
check "DNS failure: --json says deferred" grep -q '"status":"deferred"' "$tmp/dns.out"

# --- a webhook receiver that is down: the same, no attempt used -------------------------------
seed hook 2
BRIEFOS_WEBHOOK_SECRET=s3cret run_timed hook "$email" --database-url "$url" \
  --transport "webhook+http://127.0.0.1:$(free_port)/hook" $common --drain --max-relay-failures 1
check "webhook down: exit 6, both pending with no attempt used" test "$rc:$(state hook)" = "6:pending/pending/0x2"
sql "UPDATE emails SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
sql "UPDATE queue_jobs SET status = 'cancelled' WHERE status = 'pending'" >/dev/null

# --- a relay that never greets: one connection per try, not one per email ---------------------
sql "UPDATE emails SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
sql "UPDATE queue_jobs SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
start_smtp "$tmp/raw" "$src/tests/cli/smtp_raw_server.py"
raw="smtp://127.0.0.1:$smtp_port"
printf greethang >"$tmp/raw/script"
seed greet 5
run_timed greet "$email" --database-url "$url" --transport "$raw" --connect-timeout 1 $common \
  --drain --max-relay-failures 2
check "never greets: exit 6, all 5 pending with no attempt used" test "$rc:$(state greet)" = "6:pending/pending/0x5"
check "never greets: 2 connections for 2 tries (the batch went back after the first)" \
  test "$(grep -c '^connection' "$tmp/raw/log")" -eq 2
check "never greets: done in about 2 x --connect-timeout + 1 s pause ($ms ms)" test "$ms" -lt 8000

# --- a relay that hangs after EHLO ---------------------------------------------------------------
: >"$tmp/raw/log"
printf ehlohang >"$tmp/raw/script"
run_timed ehlo "$email" --database-url "$url" --transport "$raw" --connect-timeout 60 --command-timeout 2 \
  $common --drain --max-relay-failures 1
check "hang after EHLO: handed back within about 2 x --command-timeout ($ms ms)" \
  sh -c "test $ms -ge 1900 && test $ms -lt 6000"
check "hang after EHLO: exit 6, nothing failed, no attempt used" test "$rc:$(state greet)" = "6:pending/pending/0x5"
check "hang after EHLO: the error names the timeout" grep -q 'command-timeout' "$tmp/ehlo.out"

# SIGTERM while the relay hangs (default --command-timeout 60 s).
: >"$tmp/raw/log"
"$email" --database-url "$url" --transport "$raw" $common >"$tmp/term.out" 2>"$tmp/term.err" &
tpid=$!
poll_until 20 grep -q 'hanging after EHLO' "$tmp/raw/log"
t0=$(now_ms)
kill -TERM "$tpid"
wait "$tpid" || true
ms=$(($(now_ms) - t0))
check "SIGTERM during the hang: exited within 10 s ($ms ms)" test "$ms" -lt 10000
check "SIGTERM during the hang: nothing lost, no attempt used" test "$(state greet)" = "pending/pending/0x5"
check "SIGTERM during the hang: the Message-IDs stay" \
  test "$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'greet%' AND e.message_id IS NOT NULL")" -ge 1
sql "UPDATE emails SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
sql "UPDATE queue_jobs SET status = 'cancelled' WHERE status = 'pending'" >/dev/null

# --- the retry horizon -----------------------------------------------------------------------------
start_smtp "$tmp/srv"
aio="smtp://127.0.0.1:$smtp_port"
seed horizon 2
# One job has already failed 5 times (more than the old fixed 3 attempts),
# the other was queued two days ago.
sql "UPDATE queue_jobs q SET attempts = 5 FROM emails e JOIN users u ON u.id = e.created_by
      WHERE q.metadata->>'emailId' = e.id::text AND u.email = 'horizon1@example.org'" >/dev/null
sql "UPDATE queue_jobs q SET created_at = now() - interval '2 days' FROM emails e JOIN users u ON u.id = e.created_by
      WHERE q.metadata->>'emailId' = e.id::text AND u.email = 'horizon2@example.org'" >/dev/null
printf 451 >"$tmp/srv/script"
run_timed horizon "$email" --database-url "$url" --transport "$aio" $common --drain
check "horizon: a 6th 451 is retried (no count limit for email)" test "$(state horizon1)" = "pending/pending/6x1"
check "horizon: a 451 two days after queueing fails (--give-up-after 24h)" \
  test "$(state horizon2)" = "failed/failed/1x1"
check "horizon: the failed email keeps the relay's reply" \
  test "$(sql "SELECT e.smtp_reply->>'code' || ' ' || (e.smtp_reply->>'enhanced') FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'horizon2@example.org'")" = "451 4.3.0"
check "horizon: the retry is logged at warning level" grep -q 'warning.*will be retried' "$tmp/horizon.err"
run_timed horizon_usage "$email" --database-url "$url" --transport "$aio" --give-up-after soon --drain
check "horizon: a bad --give-up-after is a usage error" \
  sh -c "test $rc -eq 2 && grep -q 'give-up-after' '$tmp/horizon_usage.err'"

# --- the recipient as of now -------------------------------------------------------------------------
printf 250 >"$tmp/srv/script"
sql "UPDATE emails SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
sql "UPDATE queue_jobs SET status = 'cancelled' WHERE status = 'pending'" >/dev/null
seed moved 3
sql "UPDATE users SET email = 'new-home@example.net' WHERE email = 'moved1@example.org'" >/dev/null
sql "UPDATE users SET email = 'not an address' WHERE email = 'moved2@example.org'" >/dev/null
sql "UPDATE users SET name = E'Ada\r\nBcc: evil@example.com\u2028Jr' WHERE email = 'moved3@example.org'" >/dev/null
run_timed moved "$email" --database-url "$url" --transport "$aio" $common --drain
check "changed address: delivered to the new one" test "$(stored_for srv 'new-home@example.net')" -eq 1
check "changed address: nothing to the old one" test "$(stored_for srv 'moved1@example.org')" -eq 0
check "changed address: the recipient row follows, with an event" \
  test "$(sql "SELECT r.recipient_email || '|' || (ev.event_data->>'from') FROM email_recipients r
                 JOIN email_tracking_events ev ON ev.recipient_id = r.id AND ev.event_type = 'recipient_changed'
                WHERE r.recipient_email = 'new-home@example.net'")" = "new-home@example.net|moved1@example.org"
check "invalid address: the email is cancelled with the reason" \
  test "$(sql "SELECT e.status || '|' || e.error_message FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'not an address'")" \
  = "cancelled|the user has no valid email address"
check "CR/LF in the name: delivered" test "$(stored_for srv 'moved3@example.org')" -eq 1
m3=$(grep -l -F 'moved3@example.org' "$tmp"/srv/msg-*.json | sed 's/json$/eml/')
to3=$($py -c 'import email, sys
from email.header import decode_header, make_header
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(len(m.get_all("Bcc") or []), str(make_header(decode_header(m["To"]))))' "$m3")
check "CR/LF in the name: one recipient, no header injected, the name cleaned into the To header ($to3)" \
  sh -c "grep -q '\"rcpt_tos\": \\[\"moved3@example.org\"\\]' '${m3%eml}json' && test '$to3' = '0 Ada Bcc: evil@example.com Jr <moved3@example.org>'"
check "the run: exit 0" test "$rc" -eq 0

# --- briefos-stats user shows the relay's reply ------------------------------------------------------
uid=$(sql "SELECT id FROM users WHERE email = 'horizon2@example.org'")
"$bin/briefos-stats" --database-url "$url" user "$uid" --until 2025-10-02 --days 3 >"$tmp/user.txt" 2>&1 || true
check "stats user: the relay's reply is shown" grep -q 'relay reply: 451 4.3.0 Temporary failure' "$tmp/user.txt"
finish
