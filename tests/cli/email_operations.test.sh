#!/bin/sh
# briefos-email's operator commands (issue 18) against the real database and
# a real SMTP server (tests/cli/smtp_server.py):
# - resend by email id and by --user/--date: a new email linked to the
#   original, its job queued; the worker delivers it once, with a new
#   Message-ID; a second resend while the first is queued changes nothing;
#   refusals: a suppressed address, an opted-out user (unless --force, which
#   the worker honours), an unknown email, user or date; --dry-run writes
#   nothing;
# - suppress, unsuppress, suppressions: each changing command twice (the
#   second changes nothing), the listing's filters, --json, --dry-run;
# - unsubscribe TOKEN (and the mailto form): opt-out, suppression, one
#   'unsubscribed' event; twice changes nothing; an unknown token is exit 1;
#   the SQL function the web tier calls does the same.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

email="$bin/briefos-email"
url=$(new_migrated_db emailops)
sql() { $PSQL "$url" -XAtqc "$1"; }
seed() { $PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix="$1" -v count="$2" -f "$src/tests/cli/email_seed.sql" >/dev/null; }
E() { "$email" --database-url "$url" "$@"; }
start_smtp "$tmp/smtp"
send() { E --transport "smtp://127.0.0.1:$smtp_port" --base-url https://app.example.com \
           --message-id-domain example.com --drain --json >"$tmp/send.out" 2>"$tmp/send.err"; }
received() { grep -l -F "$1" "$tmp/smtp"/msg-*.json 2>/dev/null | wc -l | tr -d ' '; }

# --- the flag-only usage is unchanged: the worker sends the seeded emails -------------------------
seed ops 3
send
check "no subcommand: the sending worker as before (3 sent)" \
  test "$(sql "SELECT count(*) FROM emails WHERE status = 'sent'")" -eq 3
orig=$(sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'ops1@example.org'")
orig_mid=$(sql "SELECT message_id FROM emails WHERE id = '$orig'")

# --- resend by email id ------------------------------------------------------------------------------
expect_status 0 "resend --dry-run exits 0" E resend "$orig" --dry-run
check "resend --dry-run says what it would do" grep -q "would resend email $orig to ops1@example.org" "$tmp/out"
check "resend --dry-run writes nothing" test "$(sql "SELECT count(*) FROM emails")" -eq 3
expect_status 0 "resend EMAIL_ID exits 0" E resend "$orig" --json
cp "$tmp/out" "$tmp/resend1.json"
new=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["email_id"])' "$tmp/resend1.json")
job=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["job_id"])' "$tmp/resend1.json")
check "resend: a new pending email linked to the original" \
  test "$(sql "SELECT status || ',' || resent_from FROM emails WHERE id = '$new'")" = "pending,$orig"
check "resend: its recipient is the user's current address" \
  test "$(sql "SELECT recipient_email FROM email_recipients WHERE email_id = '$new'")" = "ops1@example.org"
check "resend: its generate_brief_email job is pending" \
  test "$(sql "SELECT job_type || ',' || status || ',' || (metadata->>'emailId') FROM queue_jobs WHERE id = $job")" \
       = "generate_brief_email,pending,$new"
expect_status 0 "resend again while queued exits 0" E resend "$orig"
check "resend again: already queued, nothing made" \
  sh -c "grep -q 'already queued: email $new' '$tmp/out' && test \$($PSQL '$url' -XAtqc 'SELECT count(*) FROM emails') -eq 4"
send
check "the worker sends the resend once" \
  test "$(sql "SELECT status FROM emails WHERE id = '$new'")" = "sent" -a "$(received ops1@example.org)" -eq 2
new_mid=$(sql "SELECT message_id FROM emails WHERE id = '$new'")
check "the resend has a new Message-ID" test -n "$new_mid" -a "$new_mid" != "$orig_mid"
check "the delivered message carries the new Message-ID" \
  sh -c "grep -l -F 'ops1@example.org' '$tmp/smtp'/msg-*.json | sed 's/json\$/eml/' | xargs grep -q -F '$new_mid'"

# --- resend by --user and --date -----------------------------------------------------------------------
expect_status 0 "resend --user EMAIL --date exits 0" E resend --user ops2@example.org --date 2025-10-01
check "resend --user/--date: queued a resend of that brief's email" \
  test "$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by
                WHERE u.email = 'ops2@example.org' AND e.resent_from IS NOT NULL AND e.status = 'pending'")" -eq 1
expect_status 1 "resend: no brief email on that date is exit 1" E resend --user ops2@example.org --date 2025-10-05
check "... and says so" grep -q "no brief email for user" "$tmp/err"
expect_status 2 "resend: an unknown user is exit 2" E resend --user nobody@example.org --date 2025-10-01
expect_status 1 "resend: an unknown email is exit 1" E resend 00000000-0000-4000-8000-000000000000
check "... and says so" grep -q "no email 00000000-0000-4000-8000-000000000000" "$tmp/err"
expect_status 2 "resend: neither an id nor --user/--date is exit 2" E resend
expect_status 2 "resend: --user without --date is exit 2" E resend --user ops2@example.org

# --- suppress, unsuppress, suppressions ----------------------------------------------------------------
expect_status 0 "suppress --dry-run exits 0" E suppress OPS3@example.org --dry-run
check "suppress --dry-run: says it would, changes nothing" \
  sh -c "grep -q 'would suppress ops3@example.org (manual)' '$tmp/out' && test \$($PSQL '$url' -XAtqc 'SELECT count(*) FROM email_suppressions') -eq 0"
expect_status 0 "suppress exits 0" E suppress OPS3@example.org --detail "asked by phone"
check "suppress: added lower-cased, reason manual, the detail kept" \
  test "$(sql "SELECT reason || ',' || detail FROM email_suppressions WHERE email = 'ops3@example.org'")" = "manual,asked by phone"
check "suppress: prints what it changed" grep -q "^suppressed ops3@example.org (manual)" "$tmp/out"
expect_status 0 "suppress twice exits 0" E suppress ops3@example.org --reason complaint --json
check "suppress twice: changes nothing and says so" \
  sh -c "grep -q '\"changed\":false' '$tmp/out' && test \"\$($PSQL '$url' -XAtqc \"SELECT reason FROM email_suppressions\")\" = manual"
expect_status 2 "suppress: a bad reason is exit 2" E suppress x@example.org --reason bounced
expect_status 2 "suppress: not an address is exit 2" E suppress not-an-address

# --- resend refused for a suppressed address, unless --force ----------------------------------------------
o3=$(sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'ops3@example.org'")
expect_status 1 "resend to a suppressed address is exit 1" E resend "$o3"
check "... naming the suppression and --force" \
  sh -c "grep -q 'ops3@example.org is suppressed (manual)' '$tmp/err' && grep -q -- '--force' '$tmp/err'"
check "... and nothing was made" test "$(sql "SELECT count(*) FROM emails WHERE resent_from = '$o3'")" -eq 0
expect_status 0 "resend --force to a suppressed address exits 0" E resend "$o3" --force
check "resend --force: the new email is marked forced" \
  test "$(sql "SELECT forced FROM emails WHERE resent_from = '$o3'")" = "t"
send
check "the worker sends the forced resend despite the suppression" \
  test "$(sql "SELECT status FROM emails WHERE resent_from = '$o3'")" = "sent" -a "$(received ops3@example.org)" -eq 2

# --- the listing -----------------------------------------------------------------------------------------
E suppress old@example.org --reason hard_bounce >/dev/null
sql "UPDATE email_suppressions SET created_at = now() - interval '10 days' WHERE email = 'old@example.org'" >/dev/null
expect_status 0 "suppressions exits 0" E suppressions
check "suppressions: every address with reason, time and detail, newest first" \
  sh -c "head -n 1 '$tmp/out' | grep -q '^ops3@example.org  manual  20[0-9-]*T[0-9:]*Z  asked by phone\$' && sed -n 2p '$tmp/out' | grep -q '^old@example.org  hard_bounce'"
expect_status 0 "suppressions --since 2d" E suppressions --since 2d --json
check "suppressions --since 2d: only the recent one, as JSON" \
  sh -c "test \$(wc -l <'$tmp/out') -eq 1 && grep -q '\"address\":\"ops3@example.org\"' '$tmp/out'"
expect_status 0 "suppressions --reason hard_bounce" E suppressions --reason hard_bounce
check "suppressions --reason: only that reason" sh -c "test \$(wc -l <'$tmp/out') -eq 1 && grep -q '^old@example.org' '$tmp/out'"
expect_status 2 "suppressions --since garbage is exit 2" E suppressions --since yesterdayish

expect_status 0 "unsuppress exits 0" E unsuppress old@example.org
check "unsuppress: removed, and says what was there" \
  sh -c "grep -q 'unsuppressed old@example.org (was hard_bounce' '$tmp/out' && test \$($PSQL '$url' -XAtqc \"SELECT count(*) FROM email_suppressions WHERE email = 'old@example.org'\") -eq 0"
expect_status 0 "unsuppress twice exits 0" E unsuppress old@example.org
check "unsuppress twice: changes nothing and says so" grep -q "not suppressed: old@example.org" "$tmp/out"

# --- unsubscribe -------------------------------------------------------------------------------------------
tok=$(sql "SELECT r.unsubscribe_token FROM email_recipients r WHERE r.email_id = '$orig'")
u1=$(sql "SELECT id FROM users WHERE email = 'ops1@example.org'")
expect_status 0 "unsubscribe --dry-run exits 0" E unsubscribe "$tok" --dry-run
check "unsubscribe --dry-run changes nothing" \
  test "$(sql "SELECT email_daily_brief FROM user_brief_preferences WHERE user_id = '$u1'")" = "t"
expect_status 0 "unsubscribe TOKEN exits 0" E unsubscribe "$tok"
check "unsubscribe: the user is opted out" \
  test "$(sql "SELECT email_daily_brief FROM user_brief_preferences WHERE user_id = '$u1'")" = "f"
check "unsubscribe: the address is suppressed as unsubscribed" \
  test "$(sql "SELECT reason FROM email_suppressions WHERE email = 'ops1@example.org'")" = "unsubscribed"
check "unsubscribe: one 'unsubscribed' event" \
  test "$(sql "SELECT count(*) FROM email_tracking_events WHERE event_type = 'unsubscribed' AND email_id = '$orig'")" -eq 1
expect_status 0 "unsubscribe twice (the mailto form) exits 0" E unsubscribe "mailto:unsubscribe+$tok@example.com" --json
check "unsubscribe twice: already unsubscribed, no second event" \
  sh -c "grep -q '\"outcome\":\"already unsubscribed\"' '$tmp/out' && test \$($PSQL '$url' -XAtqc \"SELECT count(*) FROM email_tracking_events WHERE event_type = 'unsubscribed'\") -eq 1"
expect_status 1 "unsubscribe: an unknown token is exit 1" E unsubscribe no-such-token
expect_status 1 "resend to an opted-out (and unsubscribed) user is exit 1" E resend "$orig"
check "... saying why" grep -q "refusing to resend email $orig" "$tmp/err"

# The web tier's call: the same function, idempotent, 'unknown_token' for garbage.
tok2=$(sql "SELECT r.unsubscribe_token FROM email_recipients r JOIN emails e ON e.id = r.email_id
             JOIN users u ON u.id = e.created_by WHERE u.email = 'ops2@example.org' AND e.resent_from IS NULL")
check "briefos_unsubscribe(): unsubscribed, then already_unsubscribed, unknown_token for garbage" \
  test "$(sql "SELECT outcome FROM briefos_unsubscribe('$tok2')"),$(sql "SELECT outcome FROM briefos_unsubscribe('$tok2')"),$(sql "SELECT outcome FROM briefos_unsubscribe('x')")" \
       = "unsubscribed,already_unsubscribed,unknown_token"
# A resend queued before the user unsubscribes is cancelled by the worker.
seed late 1
send
late=$(sql "SELECT e.id FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email = 'late1@example.org'")
E resend "$late" >/dev/null
sql "SELECT outcome FROM briefos_unsubscribe((SELECT unsubscribe_token FROM email_recipients WHERE email_id = '$late'))" >/dev/null
send
check "a resend queued before the unsubscribe is cancelled, not sent" \
  test "$(sql "SELECT status FROM emails WHERE resent_from = '$late'")" = "cancelled" -a "$(received late1@example.org)" -eq 1
finish
