#!/bin/sh
# briefos-migrate end to end, against the throwaway cluster named by
# BRIEFOS_TEST_DATABASE_URL. Each section uses its own fresh database. The
# number of migrations is read from sql/, so adding one does not break this.
#
# Covers: up from empty; down --to 0 and up again with identical pg_dump
# output; status/verify drift detection (edited file, CRLF, history row
# without file); a failing migration leaving no trace; gap and duplicate
# versions; two concurrent `up` processes (one gated behind a held lock, one
# started plainly); a held lock with --lock-timeout 1, and SIGTERM while
# waiting for it; the two-part enum migration; the three monitoring queries;
# an unreachable database; --dry-run; `new`; `down` refusing to drop tables
# with rows without --force, and `up --to` below the current version.
. "$(dirname "$0")/lib.sh"
need_db

M="$bin/briefos-migrate"
# The glob expands sorted, so the last word is the newest migration.
set -- "$src"/sql/*.up.sql
N=$#
for f in "$@"; do LAST=$(basename "$f" .up.sql); done
LAST_VERSION=$(expr "${LAST%%_*}" + 0)
NEXT=$(printf '%04d' $((N + 1)))
AFTER=$(printf '%04d' $((N + 2)))
# 0x6272696566 ("brief"), the migration lock, as pg_locks shows a bigint key.
LOCK_KEY=422826304870
LOCK_ROW="locktype = 'advisory' AND classid = 98 AND objid = 1919509862 AND objsubid = 1"

# q URL SQL: one query, unaligned tuples only.
q() { $PSQL "$1" -XAtqc "$2"; }

# Objects in user schemas other than the history table.
USER_OBJECTS="
WITH ns AS (SELECT oid FROM pg_namespace
             WHERE nspname NOT IN ('pg_catalog', 'information_schema')
               AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%')
SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
           AND c.relname NOT LIKE 'briefos\\_schema\\_migrations%')
     + (SELECT count(*) FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns)
           AND t.typrelid = 0 AND t.typcategory <> 'A')
     + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns))"

# dump URL FILE: the schema, without pg_dump's random \restrict keys.
dump() {
  pg_dump --schema-only -d "$1" | sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' >"$2"
}

# same NAME GOT WANT: pass if GOT equals WANT.
same() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got [$2], wanted [$3]"; fi
}

# has FILE PATTERN DESCRIPTION / lacks FILE PATTERN DESCRIPTION (fixed strings)
has() {
  if grep -qF -- "$2" "$1"; then ok "$3"; else
    not_ok "$3: no \"$2\" in:"; sed 's/^/  | /' "$1" | head -20; fi
}
lacks() {
  if grep -qF -- "$2" "$1"; then not_ok "$3: found \"$2\""; else ok "$3"; fi
}

# one_line FILE DESCRIPTION: FILE holds exactly one line.
one_line() {
  _n=$(wc -l <"$1" | tr -d ' ')
  if [ "$_n" -eq 1 ]; then ok "$2"; else
    not_ok "$2: $_n lines"; sed 's/^/  | /' "$1" | head -20; fi
}

# wait_for DESCRIPTION COMMAND...: poll COMMAND until it succeeds (30 s at
# most). Polling an observable condition, not sleeping in its place.
wait_for() {
  _d=$1; shift
  _i=0
  until "$@"; do
    _i=$((_i + 1))
    if [ "$_i" -gt 300 ]; then not_ok "timed out waiting until $_d"; return 1; fi
    sleep 0.1
  done
}

# hold_lock URL / release_lock: a psql session that holds the migration lock
# until release_lock closes its input.
hold_lock() {
  rm -f "$tmp/ctl"
  mkfifo "$tmp/ctl"
  $PSQL "$1" -Xq <"$tmp/ctl" >"$tmp/holder.log" 2>&1 &
  holder=$!
  exec 3>"$tmp/ctl"
  echo "SELECT pg_advisory_lock($LOCK_KEY);" >&3
  wait_for "psql holds the lock" lock_is_held "$1"
}
lock_is_held() { [ "$(q "$1" "SELECT count(*) FROM pg_locks WHERE $LOCK_ROW AND granted")" = 1 ]; }
release_lock() {
  # \q rather than only closing fd 3: any child started meanwhile would
  # keep the FIFO's write end open (they are started with 3>&- as well).
  echo '\q' >&3
  exec 3>&-
  wait "$holder" || true
}

# copy_sql DIR: a private copy of the migration set.
copy_sql() { mkdir -p "$1" && cp "$src"/sql/*.sql "$1"/; }

# ---------------------------------------------------------------------------
echo "# up from empty, down to 0, up again"
u=$(new_db mig_updown)
expect_status 0 "up from an empty database" "$M" --database-url "$u" up
same "each migration printed once" "$(grep -c '^applied ' "$tmp/out")" "$N"
has "$tmp/err" "migrated from version 0 to $N" "summary on stderr"
same "history has every version" \
  "$(q "$u" "SELECT count(*), min(version), max(version) FROM briefos_schema_migrations")" "$N|1|$N"
same "history rows have checksums and durations" \
  "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations
             WHERE length(checksum) = 64 AND duration_ms >= 0 AND applied_at <= now()")" "$N"
expect_status 0 "status --exit-code is 0 when current" "$M" --database-url "$u" status --exit-code
same "status lists every migration as applied" "$(grep -c ' applied ' "$tmp/out")" "$N"
expect_status 0 "up again is a no-op" "$M" --database-url "$u" up
has "$tmp/err" "database is up to date at version $N" "up-to-date message"
dump "$u" "$tmp/first.sql"
expect_status 0 "down --to 0" "$M" --database-url "$u" down --to 0
same "down reverted each migration once" "$(grep -c '^reverted ' "$tmp/out")" "$N"
same "no objects left but the history table" "$(q "$u" "$USER_OBJECTS")" 0
same "history table kept, empty" "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations")" 0
expect_status 0 "up again after down" "$M" --database-url "$u" up
dump "$u" "$tmp/second.sql"
if diff -u "$tmp/first.sql" "$tmp/second.sql" >"$tmp/dumpdiff"; then
  ok "pg_dump --schema-only identical after up, down --to 0, up"
else
  not_ok "schema differs after down and up again:"; head -40 "$tmp/dumpdiff"
fi
has "$tmp/first.sql" "CREATE TABLE public.queue_jobs" "the dump holds the schema"
expect_status 0 "down (one step)" "$M" --database-url "$u" down
has "$tmp/out" "reverted $LAST (" "one step reverted the last migration"
same "and only that one" "$(wc -l <"$tmp/out" | tr -d ' ')" 1
same "history at N-1" "$(q "$u" "SELECT max(version) FROM briefos_schema_migrations")" $((N - 1))
expect_status 5 "status --exit-code is 5 with a pending migration" "$M" --database-url "$u" status --exit-code
has "$tmp/out" "pending" "status shows the pending one"
expect_status 0 "status --json" "$M" --database-url "$u" status --json
if python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == int(sys.argv[2]), rows
assert [r["state"] for r in rows] == ["applied"] * (len(rows) - 1) + ["pending"], rows
assert rows[-1]["applied_at"] is None and rows[0]["applied_at"].endswith("Z"), rows
' "$tmp/out" "$N"; then ok "status --json gives one valid object per migration"; else
  not_ok "status --json output"; cat "$tmp/out"; fi
expect_status 2 "down --steps with --to is a usage error" "$M" --database-url "$u" down --steps 1 --to 0
expect_status 2 "up --to a version that does not exist" "$M" --database-url "$u" up --to 999
expect_status 0 "down --steps 2" "$M" --database-url "$u" down --steps 2
same "two reverted" "$(grep -c '^reverted ' "$tmp/out")" 2
expect_status 0 "up --to N-1" "$M" --database-url "$u" up --to $((N - 1))
same "history at N-1 again" "$(q "$u" "SELECT max(version) FROM briefos_schema_migrations")" $((N - 1))

# ---------------------------------------------------------------------------
echo "# status and verify detect drift"
d=$tmp/drift
copy_sql "$d"
u=$(new_db mig_drift)
expect_status 0 "up from a --dir copy" "$M" --database-url "$u" --dir "$d" up
expect_status 0 "verify passes on an untouched copy" "$M" --database-url "$u" --dir "$d" verify
has "$tmp/out" "verified $N applied migration(s)" "verify summary"
cp "$d/0001_initial.up.sql" "$tmp/0001.orig"
echo "-- an edit after the fact" >>"$d/0001_initial.up.sql"
expect_status 5 "status --exit-code is 5 after an edit" "$M" --database-url "$u" --dir "$d" status --exit-code
same "status marks 0001 drifted" "$(awk '$1 == "0001" { print $3 }' "$tmp/out")" drifted
has "$tmp/err" "0001_initial was changed after it was applied" "status warns naming the file"
expect_status 0 "status without --exit-code still exits 0" "$M" --database-url "$u" --dir "$d" status
expect_status 5 "verify is 5 after an edit" "$M" --database-url "$u" --dir "$d" verify
has "$tmp/err" "0001_initial was changed after it was applied (checksum mismatch)" "verify names the drifted migration"
expect_status 1 "up refuses to run over drift" "$M" --database-url "$u" --dir "$d" up
has "$tmp/err" "0001_initial" "up names the drifted migration"
expect_status 1 "down refuses to run over drift" "$M" --database-url "$u" --dir "$d" down
same "nothing was reverted" "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations")" "$N"
sed 's/$/\r/' "$tmp/0001.orig" >"$d/0001_initial.up.sql"
expect_status 0 "verify ignores CRLF line endings" "$M" --database-url "$u" --dir "$d" verify
cp "$tmp/0001.orig" "$d/0001_initial.up.sql"
rm "$d/$LAST.up.sql" "$d/$LAST.down.sql"
expect_status 5 "verify is 5 when an applied migration has no file" "$M" --database-url "$u" --dir "$d" verify
has "$tmp/err" "applied migration $LAST has no file in the migration set" "verify names the missing file"
expect_status 5 "status --exit-code is 5 with a missing file" "$M" --database-url "$u" --dir "$d" status --exit-code
same "status marks it missing" "$(awk '$3 == "missing" { print $2 }' "$tmp/out")" "${LAST#????_}"
expect_status 1 "up refuses with a missing file" "$M" --database-url "$u" --dir "$d" up
has "$tmp/err" "$LAST has no file" "up names the missing file"
expect_status 0 "verify of the built-in set still passes" "$M" --database-url "$u" verify

# ---------------------------------------------------------------------------
echo "# a failing migration leaves no trace"
d=$tmp/broken
copy_sql "$d"
cat >"$d/${NEXT}_broken.up.sql" <<'EOF'
-- Fails on line 4, after creating a table and inserting a row.
CREATE TABLE partial_marker (id int);
INSERT INTO partial_marker VALUES (1);
SELEC oops;
EOF
echo "DROP TABLE partial_marker;" >"$d/${NEXT}_broken.down.sql"
echo "CREATE TABLE after_marker (id int);" >"$d/${AFTER}_after.up.sql"
echo "DROP TABLE after_marker;" >"$d/${AFTER}_after.down.sql"
u=$(new_db mig_broken)
expect_status 1 "up with a broken migration exits 1" "$M" --database-url "$u" --dir "$d" up
grep ': error: ' "$tmp/err" >"$tmp/errlines" || true
one_line "$tmp/errlines" "one error line"
has "$tmp/errlines" "migration \"${NEXT}_broken.up.sql\" at line 4 failed: syntax error" "the error names the file and line"
has "$tmp/err" "Nothing of this migration was applied" "the hint says nothing was applied"
same "the migrations before it were applied" "$(grep -c '^applied ' "$tmp/out")" "$N"
same "no history row for it" \
  "$(q "$u" "SELECT count(*), max(version) FROM briefos_schema_migrations")" "$N|$N"
same "no partial objects" "$(q "$u" "SELECT to_regclass('partial_marker') IS NULL")" t
same "later migrations did not run" "$(q "$u" "SELECT to_regclass('after_marker') IS NULL")" t
expect_status 1 "running it again fails the same way" "$M" --database-url "$u" --dir "$d" up
same "still no partial objects" "$(q "$u" "SELECT to_regclass('partial_marker') IS NULL")" t

# ---------------------------------------------------------------------------
echo "# gaps and duplicates"
u=$(new_db mig_sets)
d=$tmp/gap
copy_sql "$d"
echo "SELECT 1;" >"$d/${AFTER}_skipped_one.up.sql"
echo "SELECT 1;" >"$d/${AFTER}_skipped_one.down.sql"
expect_status 1 "a gap exits 1" "$M" --database-url "$u" --dir "$d" up
one_line "$tmp/err" "a gap gives a one-line message"
has "$tmp/err" "gap in migration versions: $NEXT is missing before ${AFTER}_skipped_one" "the gap is named"
d=$tmp/dup
copy_sql "$d"
echo "SELECT 1;" >"$d/$(printf '%04d' "$N")_other.up.sql"
echo "SELECT 1;" >"$d/$(printf '%04d' "$N")_other.down.sql"
expect_status 1 "a duplicate exits 1" "$M" --database-url "$u" --dir "$d" up
one_line "$tmp/err" "a duplicate gives a one-line message"
has "$tmp/err" "duplicate version $(printf '%04d' "$N")" "the duplicate is named"
d=$tmp/unpaired
copy_sql "$d"
echo "SELECT 1;" >"$d/${NEXT}_lonely.up.sql"
expect_status 1 "an unpaired file exits 1" "$M" --database-url "$u" --dir "$d" status
has "$tmp/err" "${NEXT}_lonely has no .down.sql file" "the unpaired file is named"
same "nothing ran against the database" "$(q "$u" "$USER_OBJECTS")" 0

# ---------------------------------------------------------------------------
echo "# two migrators at once"
u=$(new_db mig_race)
hold_lock "$u"
"$M" --database-url "$u" up >"$tmp/a.out" 2>"$tmp/a.err" 3>&- &
pa=$!
"$M" --database-url "$u" up >"$tmp/b.out" 2>"$tmp/b.err" 3>&- &
pb=$!
both_waiting() {
  grep -q "waiting for another migrator" "$tmp/a.err" && grep -q "waiting for another migrator" "$tmp/b.err"
}
wait_for "both migrators wait for the lock" both_waiting && ok "both migrators wait while the lock is held"
same "neither applied anything while waiting" \
  "$(q "$u" "SELECT to_regclass('briefos_schema_migrations') IS NULL")" t
release_lock
ra=0; wait "$pa" || ra=$?
rb=0; wait "$pb" || rb=$?
same "both exit 0 once the lock is released" "$ra $rb" "0 0"
same "each migration applied exactly once" "$(cat "$tmp/a.out" "$tmp/b.out" | grep -c '^applied ')" "$N"
same "history has each version once" \
  "$(q "$u" "SELECT count(*), count(DISTINCT version) FROM briefos_schema_migrations")" "$N|$N"
cat "$tmp/a.err" "$tmp/b.err" >"$tmp/ab.err"
has "$tmp/ab.err" "database is up to date at version $N" "the second found nothing left to do"

u=$(new_db mig_race2)
"$M" --database-url "$u" up >"$tmp/a.out" 2>"$tmp/a.err" &
pa=$!
"$M" --database-url "$u" up >"$tmp/b.out" 2>"$tmp/b.err" &
pb=$!
ra=0; wait "$pa" || ra=$?
rb=0; wait "$pb" || rb=$?
same "two plain concurrent ups both exit 0" "$ra $rb" "0 0"
same "and apply each migration once" "$(cat "$tmp/a.out" "$tmp/b.out" | grep -c '^applied ')" "$N"
same "history has each version once (plain race)" \
  "$(q "$u" "SELECT count(*), count(DISTINCT version) FROM briefos_schema_migrations")" "$N|$N"

# ---------------------------------------------------------------------------
echo "# a held lock times out with exit 4"
u=$(new_db mig_lock)
hold_lock "$u"
expect_status 4 "--lock-timeout 1 with the lock held exits 4" "$M" --database-url "$u" --lock-timeout 1 up
has "$tmp/err" "could not take the migration lock within 1 s" "the message says why"
same "nothing applied" "$(q "$u" "SELECT to_regclass('briefos_schema_migrations') IS NULL")" t
expect_status 4 "BRIEFOS_MIGRATE_LOCK_TIMEOUT=0 tries once" \
  env BRIEFOS_MIGRATE_LOCK_TIMEOUT=0 "$M" --database-url "$u" up
"$M" --database-url "$u" up >"$tmp/c.out" 2>"$tmp/c.err" 3>&- &
pc=$!
wait_for "a third migrator waits" grep -q "waiting for another migrator" "$tmp/c.err" &&
  kill -TERM "$pc"
rc=0; wait "$pc" || rc=$?
same "SIGTERM while waiting for the lock exits 130" "$rc" 130
has "$tmp/c.err" "interrupted while waiting for the migration lock" "and says so"
release_lock
expect_status 0 "up succeeds once the lock is released" "$M" --database-url "$u" --lock-timeout 1 up
same "no migration lock left behind" "$(q "$u" "SELECT count(*) FROM pg_locks WHERE $LOCK_ROW")" 0

# ---------------------------------------------------------------------------
echo "# the two-part enum migration"
u=$(new_db mig_enum)
has_value="SELECT count(*) FROM pg_enum WHERE enumtypid = 'queue_type'::regtype AND enumlabel = 'generate_brief_email'"
expect_status 0 "up --to 1" "$M" --database-url "$u" up --to 1
same "no generate_brief_email before 0002" "$(q "$u" "$has_value")" 0
expect_status 0 "up --to 2" "$M" --database-url "$u" up --to 2
same "generate_brief_email exists after 0002" "$(q "$u" "$has_value")" 1
same "and is usable before 0003" "$(q "$u" "
  INSERT INTO users (id, email, name) VALUES ('00000000-0000-4000-8000-000000000001', 'e@example.com', 'E');
  INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key)
  VALUES ('generate_brief_email', '00000000-0000-4000-8000-000000000001', '{\"emailId\": \"x\"}', 'email:x'),
         ('generate_daily_brief', '00000000-0000-4000-8000-000000000001', '{\"briefDate\": \"2025-01-02\"}', 'brief:x')
  RETURNING job_type" | tr '\n' ' ')" "generate_brief_email generate_daily_brief "
expect_status 0 "up to the end" "$M" --database-url "$u" up
same "0003 created the functions and the view" \
  "$(q "$u" "SELECT to_regprocedure('get_pending_brief_emails(integer)') IS NOT NULL,
                    to_regprocedure('get_brief_email_status(text)') IS NOT NULL,
                    to_regclass('brief_email_stats') IS NOT NULL")" "t|t|t"
expect_status 0 "down to 2 (revert 0003)" "$M" --database-url "$u" down --to 2
same "down of 0003 removes the functions and the view" \
  "$(q "$u" "SELECT to_regprocedure('get_pending_brief_emails(integer)') IS NULL,
                    to_regprocedure('get_brief_email_status(text)') IS NULL,
                    to_regclass('brief_email_stats') IS NULL")" "t|t|t"
expect_status 0 "down to 1 (revert 0002)" "$M" --database-url "$u" down --to 1
same "down of 0002 removes generate_brief_email" "$(q "$u" "$has_value")" 0
same "and only the jobs of that type" "$(q "$u" "SELECT string_agg(job_type::text, ',') FROM queue_jobs")" \
  "generate_daily_brief"
expect_status 0 "up again after the enum round trip" "$M" --database-url "$u" up
expect_status 0 "verify after the round trip" "$M" --database-url "$u" verify

# ---------------------------------------------------------------------------
echo "# the monitoring queries run unchanged"
u=$(new_migrated_db mig_monitor)
for sql in "SELECT * FROM brief_email_stats" \
           "SELECT * FROM get_pending_brief_emails(100)" \
           "SELECT * FROM get_brief_email_status('00000000-0000-4000-8000-000000000003')"; do
  if $PSQL "$u" -X -v ON_ERROR_STOP=1 -c "$sql" >"$tmp/mon.out" 2>&1; then ok "$sql"; else
    not_ok "$sql"; sed 's/^/  | /' "$tmp/mon.out"; fi
done
same "brief_email_stats has the BuildOS columns" \
  "$($PSQL "$u" -XAq -c "SELECT * FROM brief_email_stats LIMIT 0" | head -n 1)" \
  "date|total_emails|sent_count|failed_count|pending_count|opened_count|avg_send_time_seconds"

# ---------------------------------------------------------------------------
echo "# an unreachable database"
expect_status 3 "a refused connection exits 3" \
  "$M" --database-url "postgresql://bob:hunter2@127.0.0.1:1/briefs" up
grep ': error: ' "$tmp/err" >"$tmp/errlines" || true
one_line "$tmp/errlines" "one error line"
has "$tmp/err" "could not connect to database \"briefs\"" "the message names the database"
lacks "$tmp/err" "hunter2" "the message hides the URL's password"
lacks "$tmp/out" "hunter2" "stdout hides it too"
expect_status 3 "from BRIEFOS_DATABASE_URL, conninfo form" \
  env BRIEFOS_DATABASE_URL="host=127.0.0.1 port=1 dbname=briefs user=bob password=hunter2" "$M" status
lacks "$tmp/err" "hunter2" "the conninfo password is hidden"
expect_status 3 "json logs" "$M" --log-format json --database-url "postgresql://bob:hunter2@127.0.0.1:1/briefs" verify
lacks "$tmp/err" "hunter2" "json logs hide it"
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/err"; then
  ok "the json error log parses"; else not_ok "the json error log parses"; cat "$tmp/err"; fi

# ---------------------------------------------------------------------------
echo "# --dry-run changes nothing"
u=$(new_db mig_dry)
expect_status 0 "--dry-run up on an empty database" "$M" --database-url "$u" --dry-run up
has "$tmp/out" "-- 0001_initial.up.sql" "prints each file's name"
has "$tmp/out" "CREATE TABLE" "prints the SQL"
has "$tmp/out" "-- 0002_add_email_brief_job_type_part1.up.sql (outside a transaction)" "marks no-transaction files"
same "no history table created" "$(q "$u" "SELECT to_regclass('briefos_schema_migrations') IS NULL")" t
same "no objects created" "$(q "$u" "$USER_OBJECTS")" 0
expect_status 0 "-n after the command works too" "$M" --database-url "$u" up -n
u=$(new_migrated_db mig_dry2)
expect_status 0 "--dry-run down --to 0" "$M" --database-url "$u" -n down --to 0
has "$tmp/out" "-- 0001_initial.down.sql" "prints the down files"
same "nothing reverted" "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations")" "$N"
expect_status 0 "status --exit-code still 0" "$M" --database-url "$u" status --exit-code

# ---------------------------------------------------------------------------
echo "# new NAME"
d=$tmp/newset
copy_sql "$d"
expect_status 0 "new add_labels --dir D" "$M" new add_labels --dir "$d"
same "prints the two paths" "$(cat "$tmp/out")" "$d/${NEXT}_add_labels.up.sql
$d/${NEXT}_add_labels.down.sql"
check "the up file exists" test -f "$d/${NEXT}_add_labels.up.sql"
check "the down file exists" test -f "$d/${NEXT}_add_labels.down.sql"
expect_status 0 "--dry-run new creates nothing" "$M" --dir "$d" -n new other_thing
check "no file from --dry-run" test ! -e "$d/$(printf '%04d' $((N + 2)))_other_thing.up.sql"
u=$(new_migrated_db mig_new)
expect_status 0 "the new pair is pending" "$M" --database-url "$u" --dir "$d" status
same "status lists it" "$(awk '$1 == "'"$NEXT"'" { print $2, $3 }' "$tmp/out")" "add_labels pending"
expect_status 0 "dry run of the new migration" "$M" --database-url "$u" --dir "$d" -n up
same "it runs in a transaction" "$(grep '^-- [0-9]' "$tmp/out")" "-- ${NEXT}_add_labels.up.sql"
expect_status 0 "the new (empty) migration applies" "$M" --database-url "$u" --dir "$d" up
expect_status 0 "and reverts" "$M" --database-url "$u" --dir "$d" down
expect_status 2 "an invalid name is a usage error" "$M" new Add-Labels --dir "$d"
has "$tmp/err" "invalid migration name \"Add-Labels\"" "the name is quoted"
expect_status 2 "new without --dir outside the source tree" env -C "$tmp" "$M" new x
has "$tmp/err" "pass --dir" "the message says what to do"

# ---------------------------------------------------------------------------
echo "# destructive migrations are guarded"
u=$(new_migrated_db mig_guard)
q "$u" "INSERT INTO users (email) VALUES ('a@example.org'), ('b@example.org')" >/dev/null
expect_status 2 "down --to 0 over a table with rows refuses" "$M" --database-url "$u" down --to 0
has "$tmp/err" "refusing to migrate down to version 0" "it says what it refused"
has "$tmp/err" "users (2 rows)" "it names the table and its rows"
has "$tmp/err" "--force" "the hint names --force"
same "nothing reverted" "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations")" "$N"
same "the rows are still there" "$(q "$u" "SELECT count(*) FROM users")" 2
expect_status 0 "--dry-run lists what would be dropped" "$M" --database-url "$u" -n down --to 0
has "$tmp/out" "-- drops table users (2 rows)" "with the row counts"
expect_status 0 "--force drops them" "$M" --database-url "$u" down --to 0 --force
same "all reverted" "$(q "$u" "SELECT count(*) FROM briefos_schema_migrations")" 0
expect_status 0 "up again" "$M" --database-url "$u" up
expect_status 2 "up --to below the current version is an error" "$M" --database-url "$u" up --to 3
has "$tmp/err" "below the current version $LAST_VERSION" "it names the current version"
has "$tmp/err" "down --to 3" "the hint names down"
lacks "$tmp/err" "up to date" "it does not claim up to date"

finish
