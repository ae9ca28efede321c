#!/bin/sh
# Smoke test of the sql/ migrations against an EMPTY PostgreSQL database.
#
# usage: tests/sql_smoke.sh DATABASE_URL
#
# 1. Checks the file format the migration tool relies on (pairs, leading comment,
#    no BEGIN/COMMIT, no psql meta-commands, one statement in no-transaction files).
# 2. Applies every up file in order with psql (-1 unless the file is marked
#    "-- briefos:no-transaction"), taking a pg_dump --schema-only after each.
# 3. Exercises the monitoring SQL (brief_email_stats, get_pending_brief_emails,
#    get_brief_email_status) and record_email_open() on a little data.
# 4. Applies every down file in reverse; after each, the schema must be exactly
#    the one before the matching up; at 0 no briefos object may be left.
# 5. Applies every up file again, this time the way the migration tool does
#    (each file sent as one multi-statement query, wrapped in BEGIN/COMMIT unless
#    no-transaction), and compares the final schema dump with the first one.
#
# Environment: PSQL, PG_DUMP (client programs, default psql and pg_dump from PATH),
# SQL_DIR (default: the sql/ directory next to tests/).
# Exit status: 0 pass, 1 failure, 2 usage error or database not empty.

set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DATABASE_URL" >&2
    exit 2
fi
DB=$1

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SQL_DIR=${SQL_DIR:-$ROOT/sql}
PSQL=${PSQL:-psql}
PG_DUMP=${PG_DUMP:-pg_dump}
HISTORY_TABLE=briefos_schema_migrations   # managed by briefos-migrate, never by sql/

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM

fail() {
    echo "sql_smoke: FAIL: $*" >&2
    exit 1
}

ok() {
    echo "ok - $*"
}

# q SQL: run one query, print unaligned tuples-only output.
q() {
    "$PSQL" -d "$DB" -v ON_ERROR_STOP=1 -X -q -A -t -c "$1"
}

# expect DESCRIPTION SQL EXPECTED
expect() {
    got=$(q "$2") || fail "$1: query failed: $2"
    if [ "$got" != "$3" ]; then
        fail "$1: expected [$3], got [$got]"
    fi
    ok "$1"
}

# is_no_transaction FILE: true if the leading comment block has the marker line.
is_no_transaction() {
    awk '
        /^--/ { if ($0 ~ /^-- briefos:no-transaction[ \t]*$/) { found = 1; exit }
                next }
        { exit }
        END { exit found ? 0 : 1 }
    ' "$1"
}

# SQL text without comment lines (enough for the simple files this checks).
strip_comments() {
    sed -e 's/--.*$//' "$1"
}

# apply_psql FILE: the way this test was asked to apply files.
apply_psql() {
    if is_no_transaction "$1"; then
        "$PSQL" -d "$DB" -v ON_ERROR_STOP=1 -X -q -f "$1"
    else
        "$PSQL" -d "$DB" -v ON_ERROR_STOP=1 -X -q -1 -f "$1"
    fi
}

# apply_as_tool FILE: the way briefos-migrate does, one multi-statement query.
apply_as_tool() {
    body=$(cat "$1")
    if is_no_transaction "$1"; then
        "$PSQL" -d "$DB" -v ON_ERROR_STOP=1 -X -q -c "$body"
    else
        "$PSQL" -d "$DB" -v ON_ERROR_STOP=1 -X -q -c "BEGIN;
$body
;COMMIT;"
    fi
}

# dump FILE: schema-only dump, without the random \restrict keys of newer pg_dump.
dump() {
    "$PG_DUMP" --schema-only --exclude-table="$HISTORY_TABLE" -d "$DB" |
        sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' >"$1" ||
        fail "pg_dump failed"
}

# same_schema EXPECTED_DUMP ACTUAL_DUMP DESCRIPTION
same_schema() {
    if ! diff -u "$1" "$2" >"$TMP/diff"; then
        cat "$TMP/diff" >&2
        fail "$3: schema differs (diff above)"
    fi
    ok "$3"
}

# Objects in user schemas, except the tool's own history table.
USER_OBJECTS="
WITH ns AS (
    SELECT oid FROM pg_namespace
     WHERE nspname NOT IN ('pg_catalog', 'information_schema')
       AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
)
SELECT (SELECT count(*) FROM pg_class c
         WHERE c.relnamespace IN (SELECT oid FROM ns)
           AND c.relname NOT LIKE '${HISTORY_TABLE}%')
     + (SELECT count(*) FROM pg_type t
         WHERE t.typnamespace IN (SELECT oid FROM ns)
           AND t.typrelid = 0 AND t.typcategory <> 'A')
     + (SELECT count(*) FROM pg_proc p
         WHERE p.pronamespace IN (SELECT oid FROM ns))"

# ---------------------------------------------------------------------------
# 0. Files
# ---------------------------------------------------------------------------

[ -d "$SQL_DIR" ] || fail "no directory $SQL_DIR"
: >"$TMP/all"
for p in "$SQL_DIR"/*.up.sql "$SQL_DIR"/*.down.sql; do
    if [ -e "$p" ]; then basename "$p" >>"$TMP/all"; fi
done
[ -s "$TMP/all" ] || fail "no migrations in $SQL_DIR"
if grep -vE '^[0-9]{4}_[a-z0-9]+(_[a-z0-9]+)*\.(up|down)\.sql$' "$TMP/all"; then
    fail "bad migration file name(s) above"
fi
# Names are checked above, so the word-splitting loops below are safe.
sed -n 's/\.up\.sql$//p' "$TMP/all" | sort >"$TMP/ups"
sed -n 's/\.down\.sql$//p' "$TMP/all" | sort >"$TMP/downs"
cmp -s "$TMP/ups" "$TMP/downs" || fail "up and down files do not pair up"
[ -s "$TMP/ups" ] || fail "no up files"
cut -c1-4 "$TMP/ups" | awk '$0 + 0 != NR { exit 1 }' ||
    fail "versions must be 0001, 0002, ... without gaps or duplicates"
sort -r "$TMP/ups" >"$TMP/downs_rev"

for f in $(cat "$TMP/all"); do
    p=$SQL_DIR/$f
    head -n 1 "$p" | grep -q '^-- [^[:space:]]' || fail "$f: must start with a comment line"
    if strip_comments "$p" |
       grep -qiE '^[[:space:]]*(BEGIN|COMMIT|ROLLBACK|START[[:space:]]+TRANSACTION)([[:space:]]+(TRANSACTION|WORK))?[[:space:]]*;'; then
        fail "$f: contains transaction control"
    fi
    if grep -q '^[[:space:]]*\\' "$p"; then
        fail "$f: contains a psql meta-command"
    fi
    if is_no_transaction "$p"; then
        n=$(strip_comments "$p" | tr -cd ';' | wc -c)
        [ "$n" -eq 1 ] || fail "$f: no-transaction file must hold exactly one statement (found $n)"
    fi
done
ok "file format ($(wc -l <"$TMP/ups" | tr -d ' ') migrations)"

# ---------------------------------------------------------------------------
# 1. Up from empty
# ---------------------------------------------------------------------------

n=$(q "$USER_OBJECTS") || fail "cannot query the database"
if [ "$n" -ne 0 ]; then
    echo "sql_smoke: database is not empty ($n objects); give an empty database" >&2
    exit 2
fi

dump "$TMP/schema_0000.sql"
for m in $(cat "$TMP/ups"); do
    v=$(echo "$m" | cut -c1-4)
    apply_psql "$SQL_DIR/$m.up.sql" || fail "$m.up.sql failed"
    dump "$TMP/schema_$v.sql"
    ok "up $m"
done
cp "$TMP/schema_$v.sql" "$TMP/first_full.sql"

# ---------------------------------------------------------------------------
# 2. Monitoring SQL and record_email_open
# ---------------------------------------------------------------------------

q "SELECT * FROM brief_email_stats" >/dev/null || fail "SELECT * FROM brief_email_stats"
ok "SELECT * FROM brief_email_stats"
q "SELECT * FROM get_pending_brief_emails(100)" >/dev/null ||
    fail "SELECT * FROM get_pending_brief_emails(100)"
ok "SELECT * FROM get_pending_brief_emails(100)"
q "SELECT * FROM get_brief_email_status('x')" >/dev/null ||
    fail "SELECT * FROM get_brief_email_status('x')"
ok "SELECT * FROM get_brief_email_status('x')"
expect "record_email_open of an unknown tracking id is 0" \
    "SELECT record_email_open('nope')" "0"

U=00000000-0000-4000-8000-000000000001
E=00000000-0000-4000-8000-000000000002
B=00000000-0000-4000-8000-000000000003
q "
INSERT INTO users (id, email, name) VALUES ('$U', 'smoke@example.com', 'Smoke Test');
INSERT INTO user_brief_preferences (user_id, timezone, email_daily_brief)
     VALUES ('$U', 'Europe/Paris', true);
INSERT INTO emails (id, subject, content, from_email, from_name, created_by, category,
                    tracking_id, template_data)
     VALUES ('$E', 'Your brief', '<p>hi</p>', 'noreply@example.com', 'briefos', '$U',
             'daily_brief', 'smoke-tracking-1',
             jsonb_build_object('brief_id', '$B', 'brief_date', '2025-01-02', 'user_id', '$U'));
INSERT INTO email_recipients (email_id, recipient_email, recipient_name)
     VALUES ('$E', 'smoke@example.com', 'Smoke Test');
INSERT INTO queue_jobs (job_type, user_id, metadata, dedup_key)
     VALUES ('generate_daily_brief', '$U', '{\"briefDate\": \"2025-01-02\"}', 'brief:$U:2025-01-02'),
            ('generate_brief_email', '$U', '{\"emailId\": \"$E\"}', 'email:$E');
" >/dev/null || fail "inserting test data"
ok "insert user, preference, email, recipient, jobs"

expect "first record_email_open returns 1" \
    "SELECT record_email_open('smoke-tracking-1', 'smoke-agent', '192.0.2.7')" "1"
expect "second record_email_open returns 1" \
    "SELECT record_email_open('smoke-tracking-1')" "1"
expect "open_count = 2, opened_at and last_opened_at set" \
    "SELECT open_count, opened_at IS NOT NULL, last_opened_at >= opened_at
       FROM email_recipients WHERE email_id = '$E'" "2|t|t"
expect "two opened events, first open flagged once" \
    "SELECT string_agg((event_data->>'is_first_open') || '/' || (event_data->>'open_count'), ','
                       ORDER BY event_data->>'open_count')
       FROM email_tracking_events WHERE email_id = '$E' AND event_type = 'opened'" \
    "true/1,false/2"
expect "user agent and ip recorded on the first open" \
    "SELECT user_agent, host(ip_address) FROM email_tracking_events
      WHERE email_id = '$E' AND (event_data->>'is_first_open')::boolean" \
    "smoke-agent|192.0.2.7"
expect "get_pending_brief_emails(100) lists the pending brief email" \
    "SELECT email_id, user_id, brief_id, brief_date, subject FROM get_pending_brief_emails(100)" \
    "$E|$U|$B|2025-01-02|Your brief"
expect "get_brief_email_status reports the email and its recipient" \
    "SELECT email_id, status, recipient_email, recipient_status, open_count
       FROM get_brief_email_status('$B')" \
    "$E|pending|smoke@example.com|pending|2"
expect "brief_email_stats counts it" \
    "SELECT total_emails, sent_count, failed_count, pending_count, opened_count,
            avg_send_time_seconds IS NULL
       FROM brief_email_stats" \
    "1|0|0|1|1|t"
expect "a duplicate active dedup key is a no-op" \
    "WITH i AS (INSERT INTO queue_jobs (job_type, user_id, dedup_key)
                VALUES ('generate_daily_brief', '$U', 'brief:$U:2025-01-02')
                ON CONFLICT (dedup_key)
                   WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing')
                   DO NOTHING RETURNING 1)
     SELECT count(*) FROM i" "0"
q "UPDATE users SET updated_at = now() - interval '1 day' WHERE id = '$U'" >/dev/null
expect "updated_at is touched by the trigger" \
    "UPDATE users SET name = 'Smoke' WHERE id = '$U'
     RETURNING updated_at > now() - interval '1 hour'" "t"

# ---------------------------------------------------------------------------
# 3. Down to 0, step by step
# ---------------------------------------------------------------------------

for m in $(cat "$TMP/downs_rev"); do
    v=$(echo "$m" | cut -c1-4)
    apply_psql "$SQL_DIR/$m.down.sql" || fail "$m.down.sql failed"
    prev=$(printf '%04d' $((1$v - 10000 - 1)))
    dump "$TMP/after_down_$v.sql"
    same_schema "$TMP/schema_$prev.sql" "$TMP/after_down_$v.sql" \
        "down $m restores the schema of version $prev"
    if [ "$v" = 0002 ]; then
        expect "down 0002 removed only the generate_brief_email job" \
            "SELECT string_agg(job_type::text || ':' || dedup_key, ',') FROM queue_jobs" \
            "generate_daily_brief:brief:$U:2025-01-02"
        expect "queue_type has no generate_brief_email" \
            "SELECT count(*) FROM pg_enum WHERE enumtypid = 'queue_type'::regtype
                AND enumlabel = 'generate_brief_email'" "0"
    fi
done

expect "nothing left after down to 0" "$USER_OBJECTS" "0"

# ---------------------------------------------------------------------------
# 4. Up again, as the migration tool sends files
# ---------------------------------------------------------------------------

for m in $(cat "$TMP/ups"); do
    apply_as_tool "$SQL_DIR/$m.up.sql" || fail "$m.up.sql failed (second time)"
done
ok "up again (each file as one query)"
dump "$TMP/second_full.sql"
same_schema "$TMP/first_full.sql" "$TMP/second_full.sql" \
    "schema after up/down/up equals schema after the first up"

echo "sql_smoke: PASS"
