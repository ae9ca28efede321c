#!/bin/sh
# briefos-stats on a hot standby: a streaming replica of this test's own
# cluster, made with pg_basebackup (scripts/standby), read by a login role
# that is a member of briefos_stats (sql/roles/briefos-roles.sql) and
# nothing else. Every report gives on the standby what it gives on the
# primary; health shows the replica_lag check there (and only there),
# passing while the standby keeps up, failing once replay is paused and the
# primary writes on, passing again once replay resumes.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/fault_lib.sh
. "$src/tests/cli/fault_lib.sh"

own_cluster
primary=$own_url
"$bin/briefos-migrate" --database-url "$primary" -q up
$PSQL "$primary" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/stats_seed.sql" >/dev/null
$PSQL "$primary" -Xq -v ON_ERROR_STOP=1 -f "$src/sql/roles/briefos-roles.sql" >/dev/null
$PSQL "$primary" -Xq -v ON_ERROR_STOP=1 -c "CREATE ROLE reporter LOGIN IN ROLE briefos_stats" >/dev/null

standby=$("$src/scripts/standby" start "$tmp/standby" "$own_dir" standby1)
at_exit "'$src/scripts/pg' destroy '$tmp/standby' >/dev/null 2>&1 || true"
check "the copy is a hot standby" sql_true "$standby" "SELECT pg_is_in_recovery()"
check "it streams from the primary" \
  poll_until 30 sql_true "$primary" "SELECT count(*) = 1 FROM pg_stat_replication WHERE application_name = 'standby1' AND state = 'streaming'"
# caught_up: the standby has replayed everything the primary has written.
caught_up() {
  _lsn=$($PSQL "$primary" -XAtqc "SELECT pg_current_wal_lsn()")
  poll_until 30 sql_true "$standby" "SELECT pg_last_wal_replay_lsn() >= '$_lsn'"
}
check "the standby catches up" caught_up

ro=$(echo "$standby" | sed -E "s#^(postgres(ql)?://)[^@/]*@#\1reporter@#")
check "the reporter cannot write on the primary either" \
  sh -c "! $PSQL '$(echo "$primary" | sed -E "s#^(postgres(ql)?://)[^@/]*@#\1reporter@#")' -XAtqc \
    \"UPDATE users SET name = 'x'\" >/dev/null 2>&1"
# Ages measured from now() differ between two runs: masked.
normalise() {
  sed -E -e 's/"generated_at": *"[^"]*"/"generated_at":"T"/' \
         -e 's/"(age|oldest|seconds|value)[a-z_]*": *[0-9.e+-]+/"\1":N/g' "$1"
}
for report in "emails --until 2025-03-12 --days 3" "briefs --until 2025-03-12 --days 4" "queue" \
              "user bob@example.com --until 2025-03-12 --days 3"; do
  name=${report%% *}
  # shellcheck disable=SC2086
  expect_status 0 "$name on the standby as briefos_stats" \
    "$bin/briefos-stats" --database-url "$ro" --tz UTC --json $report
  normalise "$tmp/out" >"$tmp/standby.$name"
  # shellcheck disable=SC2086
  "$bin/briefos-stats" --database-url "$primary" --tz UTC --json $report >"$tmp/p.$name"
  normalise "$tmp/p.$name" >"$tmp/primary.$name"
  if cmp -s "$tmp/standby.$name" "$tmp/primary.$name"; then ok "$name: the standby's report is the primary's"; else
    not_ok "$name: the standby's report is the primary's"; diff "$tmp/primary.$name" "$tmp/standby.$name" | head -10; fi
done

# health: the replica_lag check on the standby only.
health() { "$bin/briefos-stats" --database-url "$1" health ${2:+--max-replica-lag "$2"} >"$tmp/health" 2>&1 || true; }
health "$primary"
check "the primary's health has no replica_lag check" sh -c "! grep -q '^replica_lag' '$tmp/health'"
health "$ro"
check "the standby's health passes replica_lag at 0" grep -Eq '^replica_lag +PASS +0\.00s ' "$tmp/health"

# Replay paused, the primary writes on: the lag grows past 1 s.
$PSQL "$standby" -XAtqc "SELECT pg_wal_replay_pause()" >/dev/null
$PSQL "$primary" -Xqc "UPDATE users SET name = name || '' WHERE true" >/dev/null
lag_fails() { health "$ro" 1s; grep -Eq '^replica_lag +FAIL' "$tmp/health"; }
check "with replay paused, replica_lag fails past --max-replica-lag 1s" poll_until 30 lag_fails
expect_status 5 "... and health exits 5" "$bin/briefos-stats" --database-url "$ro" health --max-replica-lag 1s \
  --max-queue-age 1000w --max-failure-rate 1 --max-brief-age 1000w --max-invalid-zones 1000
health "$ro" 1h
check "--max-replica-lag 1h lets the same lag pass" grep -Eq '^replica_lag +PASS' "$tmp/health"
$PSQL "$standby" -XAtqc "SELECT pg_wal_replay_resume()" >/dev/null
lag_passes() { health "$ro" 1s; grep -Eq '^replica_lag +PASS +0\.00s ' "$tmp/health"; }
check "replay resumed, replica_lag is back to 0" poll_until 30 lag_passes

finish
