#!/bin/sh
# briefos-email through the webhook transport (webhook+http://) against a
# receiver on loopback (tests/cli/webhook_receiver.py) that verifies the
# HMAC-SHA256 signature and timestamp as a real web tier must: accepted
# posts are recorded as sent; 503 is retried, 400 fails without suppressing
# the address; a wrong secret is refused by the receiver and nothing is
# recorded as sent; the secret never reaches argv or the output.
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
email="$bin/briefos-email"
seed_sql="$src/tests/cli/email_seed.sql"
common="--base-url https://app.example.com --message-id-domain example.com"
q() { $PSQL "$1" -XAtqc "$2"; }
seed() { $PSQL "$1" -Xq -v ON_ERROR_STOP=1 -v prefix="$2" -v count="$3" -f "$seed_sql" >/dev/null; }
posts() { find "$tmp/hook" -name 'req-*.json' | wc -l | tr -d ' '; }

secret='hook-Secret-7f3a'
mkfifo "$tmp/port.fifo"
WEBHOOK_SECRET=$secret $py "$src/tests/cli/webhook_receiver.py" "$tmp/hook" >"$tmp/port.fifo" 2>"$tmp/hook.log" &
pid=$!
read -r port <"$tmp/port.fifo"
trap 'kill $pid 2>/dev/null || true; cleanup_dbs; rm -rf "$tmp"' EXIT
url="webhook+http://127.0.0.1:$port/mail"

# --- 1. signed posts are accepted and recorded --------------------------------
db=$(new_migrated_db hook1)
seed "$db" hook 3
BRIEFOS_WEBHOOK_SECRET=$secret expect_status 0 "three emails posted to the webhook" \
  "$email" --database-url "$db" --transport "$url" $common --drain --json
check "the receiver verified and stored three posts" test "$(posts)" -eq 3
check "no post had a bad signature" test ! -e "$tmp/hook/bad-signatures"
check "the three emails are recorded as sent" \
  test "$(q "$db" "SELECT count(*) FROM emails WHERE status = 'sent'")" -eq 3
check "each post carries its email id, recipient and a full MIME message" \
  $py -c '
import glob, json, sys, email
ids = set()
for f in glob.glob(sys.argv[1] + "/req-*.json"):
    d = json.load(open(f))
    m = email.message_from_string(d["message"])
    assert d["recipients"] and d["recipients"][0].endswith("@example.org"), d["recipients"]
    assert m["Message-ID"] == "<" + d["message_id"] + ">", (m["Message-ID"], d["message_id"])
    assert m.get_content_type() == "multipart/alternative"
    ids.add(d["email_id"])
assert len(ids) == 3
' "$tmp/hook"
check "the posted ids are the database's" test "$(q "$db" "SELECT count(*) FROM emails WHERE id::text IN ($(
  $py -c 'import glob,json,sys; print(",".join("%r" % json.load(open(f))["email_id"] for f in glob.glob(sys.argv[1]+"/req-*.json")))' "$tmp/hook"))")" -eq 3
check "the secret is not in the output" sh -c "! grep -q '$secret' '$tmp/out' '$tmp/err'"

# --- 2. 503 is transient: pending, retried later ------------------------------
db=$(new_migrated_db hook2)
seed "$db" busy 1
printf 503 >"$tmp/hook/status"
BRIEFOS_WEBHOOK_SECRET=$secret expect_status 1 "a 503 from the receiver exits 1" \
  "$email" --database-url "$db" --transport "$url" $common --drain
check "the email is pending again" test "$(q "$db" "SELECT status FROM emails")" = pending
check "its job waits for a retry" \
  test "$(q "$db" "SELECT status || ':' || attempts FROM queue_jobs WHERE job_type = 'generate_brief_email'")" = "pending:1"
printf 200 >"$tmp/hook/status"
q "$db" "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null
before=$(posts)
BRIEFOS_WEBHOOK_SECRET=$secret expect_status 0 "the retry is accepted" \
  "$email" --database-url "$db" --transport "$url" $common --drain
check "delivered exactly once after the retry" test "$(posts)" -eq $((before + 1))
check "recorded as sent" test "$(q "$db" "SELECT status FROM emails")" = sent

# --- 3. 400 is permanent but says nothing about the address -------------------
db=$(new_migrated_db hook3)
seed "$db" refused 1
printf 400 >"$tmp/hook/status"
BRIEFOS_WEBHOOK_SECRET=$secret expect_status 1 "a 400 from the receiver exits 1" \
  "$email" --database-url "$db" --transport "$url" $common --drain
check "the email failed" test "$(q "$db" "SELECT status FROM emails")" = failed
check "the job is not retried" \
  test "$(q "$db" "SELECT status FROM queue_jobs WHERE job_type = 'generate_brief_email'")" = failed
check "the address is not suppressed" test "$(q "$db" "SELECT count(*) FROM email_suppressions")" -eq 0
printf 200 >"$tmp/hook/status"

# --- 4. a wrong secret: the receiver refuses, nothing recorded as sent --------
db=$(new_migrated_db hook4)
seed "$db" forged 1
before=$(posts)
BRIEFOS_WEBHOOK_SECRET='not-the-secret' expect_status 1 "a post signed with the wrong secret is refused" \
  "$email" --database-url "$db" --transport "$url" $common --drain
check "the receiver saw a bad signature" test "$(cat "$tmp/hook/bad-signatures")" -ge 1
check "nothing stored by the receiver" test "$(posts)" -eq "$before"
check "the email is not recorded as sent" test "$(q "$db" "SELECT status FROM emails")" != sent

# --- 5. no secret is a usage error before anything is claimed -----------------
expect_status 2 "the webhook transport without BRIEFOS_WEBHOOK_SECRET exits 2" \
  env -u BRIEFOS_WEBHOOK_SECRET "$email" --database-url "$db" --transport "$url" $common --drain
check "the error names BRIEFOS_WEBHOOK_SECRET" grep -q BRIEFOS_WEBHOOK_SECRET "$tmp/err"

finish
