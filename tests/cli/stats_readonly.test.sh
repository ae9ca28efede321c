#!/bin/sh
# briefos-stats works against a read-only replica connection. A role with
# nothing but LOGIN, CONNECT, USAGE on the schema and SELECT on the tables,
# and default_transaction_read_only = on (what a hot standby gives every
# session), runs every report (emails, briefs, queue, user, health) in every
# format, with its password from PGPASSWORD or a PGPASSFILE (never argv),
# and gets the same reports as the schema owner. The same role cannot write:
# an INSERT fails as a read-only transaction and, with the read-only default
# switched off by the session, for lack of privilege.
#
# The throwaway cluster (scripts/pg) trusts local connections, so the
# password is passed the way a deployment would but not checked here.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

url=$(new_migrated_db stats_ro)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/stats_seed.sql" >/dev/null
dbname=$($PSQL "$url" -XAtc "SELECT current_database()")
role="briefos_ro_$$_$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
secret="ro-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
drop_role() {
  $PSQL "$BRIEFOS_TEST_DATABASE_URL" -Xqc "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 || true
}
trap 'cleanup_dbs; drop_role; rm -rf "$tmp"' EXIT

# The password goes to psql on stdin, not on its command line.
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -v role="$role" -v secret="$secret" -v db="$dbname" <<'SQL' >/dev/null
CREATE ROLE :"role" LOGIN PASSWORD :'secret'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
GRANT CONNECT ON DATABASE :"db" TO :"role";
GRANT USAGE ON SCHEMA public TO :"role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"role";
ALTER ROLE :"role" SET default_transaction_read_only = on;
SQL
# The admin URL with the user swapped: postgresql://ROLE@HOST/DB?...
ro_url=$(echo "$url" | sed -E "s#^(postgres(ql)?://)[^@/]*@#\1$role@#")
check "the read-only URL names the role, not the admin" sh -c "echo '$ro_url' | grep -q '://$role@'"
check "the role can write no table" \
  test "$($PSQL "$url" -XAtc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
            AND has_table_privilege('$role', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')")" -eq 0
check "the role's sessions start read-only" \
  test "$(PGPASSWORD=$secret $PSQL "$ro_url" -XAtc "SHOW default_transaction_read_only")" = on

# report WHO ARGS...: run briefos-stats as the admin ("admin") or the
# read-only role ("ro", password from the environment).
stats_as() {
  _who=$1; shift
  if [ "$_who" = ro ]; then
    PGPASSWORD=$secret "$bin/briefos-stats" --database-url "$ro_url" --tz UTC "$@"
  else
    "$bin/briefos-stats" --database-url "$url" --tz UTC "$@"
  fi
}
# Volatile bits removed: the time of the report and, in the queue and
# health reports, ages measured from now() ("20m 01s", fractional seconds),
# which differ between two runs.
normalise() {
  case $2 in
    queue | health) _ages='s/[0-9]+(d [0-9]+h|h [0-9]+m|m [0-9]+s|\.[0-9]s)/AGE/g; s/[0-9]+\.[0-9]+(e[+-]?[0-9]+)?/N/g' ;;
    *) _ages='' ;;
  esac
  sed -E -e 's/"generated_at": *"[^"]*"/"generated_at":"T"/' \
         -e 's/as of [0-9-]+ [0-9:]+ [A-Z]+/as of T/' \
         -e 's/^(briefos_stats_generated_timestamp_seconds[^ ]*) .*/\1 T/' -e "$_ages" "$1"
}

for report in "emails --until 2025-03-12 --days 3" "briefs --until 2025-03-12 --days 4" "queue" \
              "user bob@example.com --until 2025-03-12 --days 3" "health"; do
  name=${report%% *}
  for fmt in table json csv prometheus html; do
    case "$name:$fmt" in user:csv | user:prometheus) continue ;; esac
    set +e
    # shellcheck disable=SC2086
    stats_as ro --format "$fmt" $report >"$tmp/ro.out" 2>"$tmp/ro.err"
    rc=$?
    # shellcheck disable=SC2086
    stats_as admin --format "$fmt" $report >"$tmp/admin.out" 2>"$tmp/admin.err"
    rc_admin=$?
    set -e
    if [ "$name" = health ]; then want=$rc_admin; else want=0; fi
    # health exits 5 when a check fails (this history has old failures).
    if [ "$rc" -eq "$want" ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]; } && [ -s "$tmp/ro.out" ]; then
      ok "read-only role: $name report as $fmt (exit $rc)"
    else
      not_ok "read-only role: $name report as $fmt (exit $rc, admin $rc_admin)"; sed 's/^/  | /' "$tmp/ro.err" | head -5
    fi
    normalise "$tmp/ro.out" "$name" >"$tmp/ro.norm"
    normalise "$tmp/admin.out" "$name" >"$tmp/admin.norm"
    if diff -u "$tmp/admin.norm" "$tmp/ro.norm" >"$tmp/diff"; then
      ok "read-only role: $name as $fmt is the owner's report"
    else
      not_ok "read-only role: $name as $fmt differs from the owner's"; head -20 "$tmp/diff" | sed 's/^/  | /'
    fi
    check "read-only role: no error or warning from $name as $fmt beyond the owner's" cmp -s "$tmp/admin.err" "$tmp/ro.err"
  done
done
stats_as ro user bob@example.com --until 2025-03-12 --days 3 >"$tmp/bob" 2>&1 || true
check "the user report as the read-only role shows bob's failed email" grep -q 'failed: bounced' "$tmp/bob"

# --output writes a local file; the database is still only read.
expect_status 0 "read-only role: queue as prometheus to a file" \
  stats_as ro --format prometheus --output "$tmp/queue.prom" queue
check "the exposition file was written" grep -q '^briefos_queue_jobs{' "$tmp/queue.prom"

# A password file instead of the environment (libpq's PGPASSFILE, mode 0600).
echo "*:*:*:$role:$secret" >"$tmp/pgpass"
chmod 600 "$tmp/pgpass"
expect_status 0 "read-only role with its password in a PGPASSFILE" \
  env -u PGPASSWORD PGPASSFILE="$tmp/pgpass" "$bin/briefos-stats" --database-url "$ro_url" --tz UTC queue
check "the password appears in no output" sh -c "! grep -rqF '$secret' '$tmp/out' '$tmp/err' '$tmp/ro.out' '$tmp/ro.err'"

# --- the same role cannot write --------------------------------------------------------
set +e
PGPASSWORD=$secret $PSQL "$ro_url" -Xq -v ON_ERROR_STOP=1 \
  -c "INSERT INTO users (email) VALUES ('intruder@example.com')" >"$tmp/w1" 2>&1
rc1=$?
PGPASSWORD=$secret $PSQL "$ro_url" -Xq -v ON_ERROR_STOP=1 \
  -c "SET default_transaction_read_only = off" \
  -c "INSERT INTO users (email) VALUES ('intruder@example.com')" >"$tmp/w2" 2>&1
rc2=$?
set -e
check "an INSERT as the role fails: read-only transaction" \
  sh -c "[ $rc1 -ne 0 ] && grep -q 'cannot execute INSERT in a read-only transaction' '$tmp/w1'"
check "with the read-only default switched off it still fails: no privilege" \
  sh -c "[ $rc2 -ne 0 ] && grep -q 'permission denied for table users' '$tmp/w2'"
check "nothing was written" \
  test "$($PSQL "$url" -XAtc "SELECT count(*) FROM users WHERE email = 'intruder@example.com'")" -eq 0

finish
