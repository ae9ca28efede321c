#!/bin/sh
# Every program through PgBouncer (Debian's pgbouncer, scripts/pgbouncer), in
# session pooling mode and in transaction pooling mode, in front of this
# test's own cluster. PgBouncer keeps 4 server connections per database, so
# the 3 generators (2 slots each), 2 mailers and their heartbeats really share
# them: in transaction mode no session state survives between transactions
# (named prepared statements, LISTEN, session advisory locks), which is what
# BRIEFOS_POOLER=transaction exists for.
#
# Per mode: migrate, one schedule sweep, three briefos-generate --drain and
# two briefos-email --drain (maildir) at once, then the stats reports, all
# through PgBouncer; each brief and each email exactly once.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/fault_lib.sh
. "$src/tests/cli/fault_lib.sh"

if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "not ok - pgbouncer is not installed: run scripts/bootstrap" >&2
  exit 1
fi

n=300
own_cluster
for db in sess txn; do $PSQL "$own_url" -Xqc "CREATE DATABASE $db" >/dev/null; done
bouncer=$("$src/scripts/pgbouncer" start "$tmp/pgbouncer" "$own_dir" sess=session txn=transaction)
at_exit "'$src/scripts/pgbouncer' stop '$tmp/pgbouncer' >/dev/null 2>&1 || true"
direct_of() { echo "$own_url" | sed -E "s#^(postgres(ql)?://[^/?]*/)[^?]*#\1$1#"; }

# wait_all WHAT PREFIX PID...: each background program (WHAT 1, 2, ...)
# exits 0; a failure shows its stderr, PREFIX.N.err.
wait_all() {
  _what=$1 _prefix=$2
  shift 2
  _i=1
  for _p in "$@"; do
    if wait "$_p"; then ok "$db: $_what $_i exits 0"; else not_ok "$db: $_what $_i exits 0"; show "$_prefix.$_i.err"; fi
    _i=$((_i + 1))
  done
}

# run_mode DB POOLER: the whole pipeline through PgBouncer's pool DB.
run_mode() {
  db=$1
  pooler=$2
  url="${bouncer%/*}/$db"
  direct=$(direct_of "$db")
  sql() { $PSQL "$direct" -XAtqc "$1"; }
  md="$tmp/maildir.$db"
  export BRIEFOS_POOLER="$pooler"
  echo "# $db: pooler mode '$pooler' through $url"

  if [ "$pooler" = session ]; then
    expect_status 0 "$db: briefos-migrate up through PgBouncer" "$bin/briefos-migrate" --database-url "$url" -q up
    # A second migrate finds the lock free again (the session lock went
    # with the first migrate's client, and its server connection was reset).
    expect_status 0 "$db: a second briefos-migrate up finds the lock free" \
      "$bin/briefos-migrate" --database-url "$url" -q --lock-timeout 5 up
  else
    # Its session lock would stay on a pooled server connection: refused,
    # with the way out.
    expect_status 2 "$db: briefos-migrate up refuses a transaction pooler" \
      "$bin/briefos-migrate" --database-url "$url" -q up
    check "$db: ... and says to connect directly" grep -q "transaction mode" "$tmp/err"
    expect_status 0 "$db: briefos-migrate up directly" \
      env -u BRIEFOS_POOLER "$bin/briefos-migrate" --database-url "$direct" -q up
  fi
  check "$db: every migration recorded" test "$(sql "SELECT count(*) > 0 FROM briefos_schema_migrations")" = t
  expect_status 2 "$db: a bad BRIEFOS_POOLER is a usage error" \
    env BRIEFOS_POOLER=statement "$bin/briefos-stats" --database-url "$url" queue

  $PSQL "$direct" -Xq -v ON_ERROR_STOP=1 -v n="$n" <<'SQL' >/dev/null
INSERT INTO users (id, email, name)
SELECT md5('b-user-' || g)::uuid, 'bouncer' || g || '@example.com', 'Bouncer ' || g
  FROM generate_series(1, :n) g;
INSERT INTO user_brief_preferences (user_id, frequency, time_of_day, timezone, is_active, email_daily_brief)
SELECT md5('b-user-' || g)::uuid, 'daily', date_trunc('minute', (now() AT TIME ZONE 'UTC') + interval '1 minute')::time,
       'UTC', true, true
  FROM generate_series(1, :n) g;
INSERT INTO projects (id, user_id, name, status)
SELECT md5('b-project-' || g)::uuid, md5('b-user-' || g)::uuid, 'Project ' || g, 'active'
  FROM generate_series(1, :n) g;
INSERT INTO tasks (project_id, user_id, title, status, priority, start_date)
SELECT md5('b-project-' || g)::uuid, md5('b-user-' || g)::uuid, 'Task ' || g, 'backlog', 'high', now()
  FROM generate_series(1, :n) g;
SQL

  expect_status 0 "$db: one sweep through PgBouncer" "$bin/briefos-schedule" --database-url "$url" -q --json
  check "$db: the sweep queued $n jobs" test "$(sql "SELECT count(*) FROM queue_jobs")" -eq "$n"

  pids=""
  for i in 1 2 3; do
    "$bin/briefos-generate" --database-url "$url" -q --json --drain --concurrency 2 \
      >"$tmp/gen.$db.$i" 2>"$tmp/gen.$db.$i.err" &
    pids="$pids $!"
  done
  # shellcheck disable=SC2086  # one pid per word
  wait_all generator "$tmp/gen.$db" $pids
  pids=""
  for i in 1 2; do
    "$bin/briefos-email" --database-url "$url" -q --json --drain --concurrency 2 --transport "maildir:$md" \
      >"$tmp/email.$db.$i" 2>"$tmp/email.$db.$i.err" &
    pids="$pids $!"
  done
  # shellcheck disable=SC2086  # one pid per word
  wait_all mailer "$tmp/email.$db" $pids

  check "$db: one completed brief per user" \
    test "$(sql "SELECT count(DISTINCT user_id) || ' ' || count(*) FROM daily_briefs WHERE generation_status = 'completed'")" = "$n $n"
  check "$db: one sent email per brief" \
    test "$(sql "SELECT count(DISTINCT e.template_data->>'brief_id') || ' ' || count(*) FROM emails e
                   WHERE e.status = 'sent'")" = "$n $n"
  check "$db: every job completed on its first attempt" \
    test "$(sql "SELECT count(*) || ' ' || max(attempts) FROM queue_jobs WHERE status = 'completed'")" = "$((2 * n)) 1"
  check "$db: $n files in the Maildir" test "$(find "$md/new" -type f | wc -l)" -eq "$n"
  grep -h -i '^Message-ID:' "$md"/new/* | tr -d '\r' | tr '[:upper:]' '[:lower:]' | sort >"$tmp/mids.$db"
  check "$db: no Message-ID twice" test "$(uniq -d "$tmp/mids.$db" | wc -l)" -eq 0
  cat "$tmp"/gen."$db".[123] | grep -o '"brief_id":"[^"]*"' | sort >"$tmp/gen_ids.$db"
  check "$db: the generators reported $n briefs, none twice" \
    test "$(wc -l <"$tmp/gen_ids.$db") $(uniq -d "$tmp/gen_ids.$db" | wc -l)" = "$n 0"
  cat "$tmp"/email."$db".[12] | grep '"status":"sent"' | grep -o '"email_id":"[^"]*"' | sort >"$tmp/sent_ids.$db"
  check "$db: the mailers reported $n sent emails, none twice" \
    test "$(wc -l <"$tmp/sent_ids.$db") $(uniq -d "$tmp/sent_ids.$db" | wc -l)" = "$n 0"

  # Every report through PgBouncer says what it says on a direct connection.
  # Ages are measured from now(), which differs between the two runs (the
  # queue report's oldest pending job): masked, as in standby.test.sh.
  normalise() {
    sed -E -e 's/"generated_at": *"[^"]*"/"generated_at":"T"/' \
           -e 's/"(age|oldest|seconds|value)[a-z_]*": *[0-9.e+-]+/"\1":N/g' "$1"
  }
  for report in briefs emails queue; do
    expect_status 0 "$db: briefos-stats $report through PgBouncer" \
      "$bin/briefos-stats" --database-url "$url" --tz UTC --json "$report"
    normalise "$tmp/out" >"$tmp/stats.pooled"
    env -u BRIEFOS_POOLER "$bin/briefos-stats" --database-url "$direct" --tz UTC --json "$report" >"$tmp/stats.direct.raw"
    normalise "$tmp/stats.direct.raw" >"$tmp/stats.direct"
    check "$db: briefos-stats $report is the same through PgBouncer as direct" \
      cmp -s "$tmp/stats.pooled" "$tmp/stats.direct"
  done
  expect_status 0 "$db: briefos-stats health through PgBouncer" "$bin/briefos-stats" --database-url "$url" health
  unset BRIEFOS_POOLER
}

run_mode sess session
run_mode txn transaction

finish
