#!/bin/sh
# An unwritable Maildir (a path under a regular file, new/ that is a file, a
# read-only bind mount), a full disk (a 256 KiB tmpfs), and SIGTERM during
# each phase of both workers: while claiming, while building a brief (a slow
# LLM), while sending (a slow SMTP server) and while waiting on --rate.
# Delivery failures are transient (the email stays pending, nothing is
# half-written into new/ or left in tmp/, the retry delivers once); after
# every SIGTERM no job is left processing; briefos-email finishes the message
# in hand and gives the unstarted rest of its batch back with no attempt used,
# briefos-generate stores what it has built and gives back the briefs still
# waiting on their analyses.
# The mounts need root (or CAP_SYS_ADMIN); without it those two cases are
# skipped with a note, the others still run.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

email="$bin/briefos-email"
gen="$bin/briefos-generate"
url=$(new_migrated_db faultdisk)
sql() { $PSQL "$url" -XAtqc "$1"; }
common="--base-url https://app.example.com --message-id-domain example.com"

# seed NAME COUNT: COUNT pending emails for NAME<n>@example.org.
seed() { $PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v prefix="$1" -v count="$2" -f "$src/tests/cli/email_seed.sql" >/dev/null; }
of() { sql "SELECT string_agg(DISTINCT e.status || '/' || q.status || '/' || q.attempts, ' ') FROM emails e JOIN users u ON u.id = e.created_by
             JOIN queue_jobs q ON q.metadata->>'emailId' = e.id::text WHERE u.email LIKE '$1%'"; }
due() { sql "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null; }
processing() { sql "SELECT count(*) FROM queue_jobs WHERE status = 'processing'"; }
files() { find "$1" -type f 2>/dev/null | wc -l | tr -d ' '; }

# --- unwritable Maildir: a path under a regular file --------------------------------
seed under 2
: >"$tmp/plainfile"
run_timed under "$email" --database-url "$url" --transport "maildir:$tmp/plainfile/Maildir" $common --drain
check "Maildir under a regular file: exit 1, both emails pending for retry" \
  test "$rc:$(of under)" = "1:pending/pending/1"
check "Maildir under a regular file: the error names the directory and the reason" \
  grep -q "could not create Maildir directory \"$tmp/plainfile/Maildir\": Not a directory" "$tmp/under.err"
due
run_timed under2 "$email" --database-url "$url" --transport "maildir:$tmp/Maildir" $common --drain
check "once the Maildir is writable the retry delivers both, once each" \
  test "$rc:$(of under):$(files "$tmp/Maildir/new")" = "0:sent/completed/2:2"

# --- new/ is a file: the message cannot be moved in ----------------------------------
seed newfile 1
mkdir -p "$tmp/Broken/tmp" "$tmp/Broken/cur"
: >"$tmp/Broken/new"
run_timed newfile "$email" --database-url "$url" --transport "maildir:$tmp/Broken" $common --drain
check "new/ is a file: exit 1, email pending" test "$rc:$(of newfile)" = "1:pending/pending/1"
check "new/ is a file: the half-delivered copy was removed from tmp/" test "$(files "$tmp/Broken/tmp")" -eq 0
check "new/ is a file: the error says why" grep -q 'could not move the message into' "$tmp/newfile.err"
rm -f "$tmp/Broken/new"
due
run_timed newfile2 "$email" --database-url "$url" --transport "maildir:$tmp/Broken" $common --drain
check "new/ repaired: delivered once" test "$rc:$(of newfile):$(files "$tmp/Broken/new")" = "0:sent/completed/2:1"

# --- read-only bind mount, full disk (need mount) ------------------------------------
mkdir -p "$tmp/ro" "$tmp/full"
if mount --bind "$tmp/ro" "$tmp/ro" 2>/dev/null; then
  at_exit "umount '$tmp/ro' 2>/dev/null || true"
  mount -o remount,ro,bind "$tmp/ro"
  seed readonly 1
  run_timed ro "$email" --database-url "$url" --transport "maildir:$tmp/ro/Maildir" $common --drain
  check "read-only file system: exit 1, email pending" test "$rc:$(of readonly)" = "1:pending/pending/1"
  check "read-only file system: the error says so" grep -q 'Read-only file system' "$tmp/ro.err"
  umount "$tmp/ro"
  due
  run_timed ro2 "$email" --database-url "$url" --transport "maildir:$tmp/ro/Maildir" $common --drain
  check "writable again: delivered once" test "$rc:$(of readonly):$(files "$tmp/ro/Maildir/new")" = "0:sent/completed/2:1"
else
  echo "# note: mount --bind not permitted here; the read-only file system case is skipped"
fi
if mount -t tmpfs -o size=256k,mode=0700 tmpfs "$tmp/full" 2>/dev/null; then
  at_exit "umount '$tmp/full' 2>/dev/null || true"
  mkdir -p "$tmp/full/Maildir/tmp" "$tmp/full/Maildir/new" "$tmp/full/Maildir/cur"
  dd if=/dev/zero of="$tmp/full/filler" bs=4k 2>/dev/null || true
  seed full 3
  run_timed full "$email" --database-url "$url" --transport "maildir:$tmp/full/Maildir" $common --drain
  check "full disk: exit 1, all three emails pending" test "$rc:$(of full)" = "1:pending/pending/1"
  check "full disk: the error says no space" grep -q 'No space left on device' "$tmp/full.err"
  check "full disk: nothing half-written left in tmp/ or new/" \
    test "$(files "$tmp/full/Maildir/tmp"):$(files "$tmp/full/Maildir/new")" = "0:0"
  rm -f "$tmp/full/filler"
  due
  run_timed full2 "$email" --database-url "$url" --transport "maildir:$tmp/full/Maildir" $common --drain
  check "space again: the three delivered, once each" \
    test "$rc:$(of full):$(files "$tmp/full/Maildir/new")" = "0:sent/completed/2:3"
  umount "$tmp/full"
else
  echo "# note: mounting a tmpfs is not permitted here; the full-disk case is skipped"
fi

# --- SIGTERM while sending: the message in hand goes out, the rest is given back --------
start_smtp "$tmp/srv"
sql "DELETE FROM queue_jobs WHERE status <> 'pending'" >/dev/null
seed term 3
printf 'slow:2500' >"$tmp/srv/script"
"$email" --database-url "$url" --transport "smtp://127.0.0.1:$smtp_port" $common --drain --batch 3 --json \
  >"$tmp/tsend.out" 2>"$tmp/tsend.err" &
pid=$!
# The batch's emails are marked 'sending' together (one statement), then
# handed over one at a time: the first is in hand once the program has
# connected to the server (DIR/sessions), which then takes 2.5 s to answer.
poll_until 30 test -s "$tmp/srv/sessions"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
check "SIGTERM while sending: exit 130 (interrupted drain)" test "$rc" -eq 130
check "SIGTERM while sending: the message in hand was delivered and recorded" \
  test "$(find "$tmp/srv" -name 'msg-*.eml' | wc -l):$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'term%' AND e.status = 'sent'")" = "1:1"
check "SIGTERM while sending: the other two given back (pending, no attempt used)" \
  test "$(sql "SELECT count(*) FROM queue_jobs q JOIN emails e ON e.id::text = q.metadata->>'emailId' JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'term%' AND q.status = 'pending' AND q.attempts = 0 AND e.status = 'pending'")" -eq 2
check "SIGTERM while sending: nothing left processing" test "$(processing)" -eq 0

# --- SIGTERM while waiting on --rate ---------------------------------------------------------
printf '250' >"$tmp/srv/script"
sql "DELETE FROM queue_jobs WHERE status <> 'pending'" >/dev/null
"$email" --database-url "$url" --transport "smtp://127.0.0.1:$smtp_port" $common --drain --batch 3 --rate 1/h \
  >"$tmp/trate.out" 2>"$tmp/trate.err" &
pid=$!
# Of the two given back above, the first goes out at once (the bucket starts
# full); the second then waits an hour for its token.
poll_until 30 sql_true "$url" "SELECT count(*) = 2 FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'term%' AND e.status = 'sent'"
poll_until 30 sql_true "$url" "SELECT count(*) = 1 FROM queue_jobs WHERE status = 'processing'"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
check "SIGTERM while waiting on --rate: exit 130" test "$rc" -eq 130
check "SIGTERM while waiting on --rate: nothing left processing" test "$(processing)" -eq 0
check "SIGTERM while waiting on --rate: the waiting email stays pending, not sent" \
  test "$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by WHERE u.email LIKE 'term%' AND e.status = 'pending'"):$(find "$tmp/srv" -name 'msg-*.eml' | wc -l)" = "1:2"

# --- SIGTERM while building: the batch in hand is given back, nothing more claimed ------
# The three analyses of a batch are requested at once; on SIGTERM the slot
# stops waiting for them (an endpoint's deadline is minutes), gives the three
# jobs back untouched and exits; the fourth job is never claimed.
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
alice=aaaaaaaa-0000-4000-8000-000000000001
sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
     SELECT 'generate_daily_brief', '$alice', jsonb_build_object('userId', '$alice', 'briefDate', d::date::text)
       FROM generate_series(DATE '2025-10-01', DATE '2025-10-04', interval '1 day') d" >/dev/null
start_llm
"$gen" --database-url "$url" --drain --batch 3 --json --llm-url "$llm_base/slow/2500" --llm-model stub \
  >"$tmp/tgen.out" 2>"$tmp/tgen.err" &
pid=$!
poll_until 30 test -s "$llm_log"
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
check "SIGTERM while building: exit 130" test "$rc" -eq 130
check "SIGTERM while building: no brief stored" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice'")" -eq 0
check "SIGTERM while building: all four jobs pending with no attempt used" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE job_type = 'generate_daily_brief' AND status = 'pending' AND attempts = 0")" -eq 4
check "SIGTERM while building: no brief line on stdout" test ! -s "$tmp/tgen.out"
check "SIGTERM while building: nothing left processing" test "$(processing)" -eq 0

# --- SIGTERM at random points around the claim --------------------------------------
# Each worker gets SIGTERM after a random 0-150 ms: during start-up, the
# rescue, the claim or the first jobs. Whatever it hit, nothing may stay
# processing (the lease would hold those jobs for 5 minutes).
sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
     SELECT 'generate_daily_brief', '$alice', jsonb_build_object('userId', '$alice', 'briefDate', d::date::text)
       FROM generate_series(DATE '2025-11-01', DATE '2025-12-31', interval '1 day') d" >/dev/null
seed claim 60
left_processing=0
codes=""
i=0
while [ $i -lt 12 ]; do
  i=$((i + 1))
  if [ $((i % 2)) -eq 0 ]; then
    "$gen" --database-url "$url" --drain --batch 5 -q >/dev/null 2>>"$tmp/tclaim.err" &
  else
    "$email" --database-url "$url" --transport "smtp://127.0.0.1:$smtp_port" $common --drain --batch 5 -q \
      >/dev/null 2>>"$tmp/tclaim.err" &
  fi
  pid=$!
  sleep "0.$(od -An -N1 -tu1 /dev/urandom | awk '{printf "%03d", $1 * 150 / 255}')"
  kill -TERM "$pid" 2>/dev/null || true
  set +e; wait "$pid"; c=$?; set -e
  codes="$codes $c"
  [ "$(processing)" -eq 0 ] || left_processing=$((left_processing + 1))
done
echo "  exit statuses of the 12 interrupted runs:$codes"
check "SIGTERM at random points around the claim: never a job left processing" test "$left_processing" -eq 0
# 143: the signal arrived before the program installed its handler (while
# the process was still loading), so it died of it before any database work.
check "SIGTERM at random points: every run exited 0, 130 or 143" \
  sh -c "! echo '$codes' | tr ' ' '\n' | grep -vqE '^(0|130|143|)$'"
run_timed finalgen "$gen" --database-url "$url" --drain -q
run_timed finalmail "$email" --database-url "$url" --transport "smtp://127.0.0.1:$smtp_port" $common --drain -q
smtp_sent=$(sql "SELECT count(*) FROM emails e JOIN users u ON u.id = e.created_by
                 WHERE e.status = 'sent' AND (u.email LIKE 'term%' OR u.email LIKE 'claim%' OR u.email = 'alice@example.com')")
check "afterwards every job completed and every email sent" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status <> 'completed'"):$(sql "SELECT count(*) FROM emails WHERE status <> 'sent'")" = "0:0"
check "no email twice: one SMTP delivery per sent email ($smtp_sent), no Message-ID twice" \
  test "$(find "$tmp/srv" -name 'msg-*.eml' | wc -l):$(grep -h '^Message-ID:' "$tmp"/srv/msg-*.eml | sort | uniq -d | wc -l)" = "$smtp_sent:0"
finish
