#!/bin/sh
# The queue with several processes at once: dedup under concurrency,
# exclusive claims over 20,000 jobs with 8 workers, kill -9 and rescue, a
# poison job that always crashes, jobs with no handler or bad metadata,
# graceful shutdown on SIGTERM.
. "$(dirname "$0")/lib.sh"
need_db
probe="${BRIEFOS_BUILD_DIR:?}/bin/queue-probe"
url=$(new_migrated_db queue)
q() { $PSQL "$url" -XAtqc "$1"; }

# wait_for SQL: poll the database until SQL returns t (at most 30 s). This
# waits for a state, not for a duration.
wait_for() {
  _i=0
  while [ "$(q "$1")" != "t" ]; do
    _i=$((_i + 1))
    [ $_i -lt 300 ] || { echo "timed out waiting for: $1" >&2; return 1; }
    sleep 0.1
  done
}

# 1. Dedup: 8 processes enqueue the same 500 keys at once.
pids=""
for i in 1 2 3 4 5 6 7 8; do
  "$probe" --database-url "$url" -q enqueue --count 500 --chunk 50 --dedup-prefix key- >/dev/null &
  pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
check "8 concurrent enqueuers exit 0" [ "$rc" -eq 0 ]
check "one active job per dedup key" [ "$(q "SELECT count(*) || '/' || count(DISTINCT dedup_key) FROM queue_jobs")" = "500/500" ]
q "DELETE FROM queue_jobs" >/dev/null

# 2. Exclusive claims: 8 worker processes drain 20,000 jobs; every handler
# invocation is counted in the job's own transaction.
q "CREATE TABLE probe_calls (job_id bigint NOT NULL, attempt int NOT NULL)" >/dev/null
"$probe" --database-url "$url" -q enqueue --count 20000 >/dev/null
pids=""
for i in 1 2 3 4 5 6 7 8; do
  "$probe" --database-url "$url" -q work --drain --handler count --batch 20 2>"$tmp/w$i.err" &
  pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
check "8 draining workers exit 0" [ "$rc" -eq 0 ]
check "20000 handler calls, one per job" [ "$(q "SELECT count(*) || '/' || count(DISTINCT job_id) FROM probe_calls")" = "20000/20000" ]
check "every job completed exactly once" [ "$(q "SELECT count(*) FILTER (WHERE status = 'completed' AND attempts = 1) FROM queue_jobs")" = "20000" ]
check "work was shared between worker processes" [ "$(q "SELECT count(DISTINCT split_part(result->>'worker', ':', 2)) FROM queue_jobs")" -ge 2 ]
q "TRUNCATE probe_calls; DELETE FROM queue_jobs" >/dev/null

# 3. kill -9 a worker holding jobs: after the lease they are rescued and
# completed by another worker, and attempts show the crash.
q "INSERT INTO queue_jobs (job_type, metadata) SELECT 'other', jsonb_build_object('ms', 600000) FROM generate_series(1, 3)" >/dev/null
"$probe" --database-url "$url" -q work --handler sleep --batch 3 --lease 5 2>/dev/null &
victim=$!
wait_for "SELECT count(*) = 3 FROM queue_jobs WHERE status = 'processing'"
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
check "jobs stay held while the lease runs" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'processing' AND locked_until > now()")" = "3" ]
wait_for "SELECT bool_and(locked_until < now()) FROM queue_jobs"
"$probe" --database-url "$url" -q work --drain --handler count 2>/dev/null
check "rescued jobs completed by another worker" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'completed' AND attempts = 2")" = "3" ]
check "rescue recorded in the error history" [ "$(q "SELECT count(*) FROM queue_jobs WHERE errors::text LIKE '%lease expired%'")" = "3" ]
q "TRUNCATE probe_calls; DELETE FROM queue_jobs" >/dev/null

# 4. A poison job that kills its worker every time ends failed, not looping.
q "INSERT INTO queue_jobs (job_type, metadata, max_attempts) VALUES ('other', '{\"crash\": true}', 3)" >/dev/null
runs=0
while [ "$(q "SELECT status FROM queue_jobs")" != "failed" ] && [ $runs -lt 6 ]; do
  set +e
  "$probe" --database-url "$url" -q work --drain --handler crash --lease 5 >/dev/null 2>&1
  set -e
  runs=$((runs + 1))
  # The crashed run left the job processing under its lease; time passes.
  q "UPDATE queue_jobs SET locked_until = now() - interval '1 second' WHERE status = 'processing'" >/dev/null
done
check "poison job failed after max_attempts crashes" [ "$(q "SELECT status || ' ' || attempts FROM queue_jobs")" = "failed 3" ]
check "it took max_attempts crashing runs plus the rescuing one" [ "$runs" -eq 4 ]
q "DELETE FROM queue_jobs" >/dev/null

# 5. A job of a type with no handler, and one with bad metadata, fail
# permanently with the reason and do not block the others.
ids=$(q "INSERT INTO queue_jobs (job_type, metadata) VALUES ('send_sms', '{}'), ('other', '{}') RETURNING id" | tr '\n' ' ')
bad=$(q "INSERT INTO queue_jobs (job_type, metadata) VALUES ('generate_brief_email', '{\"emailId\": 42}') RETURNING id")
printf '%s\n' $ids | "$probe" --database-url "$url" -q work --jobs - --handler count --type other 2>/dev/null || true
printf '%s\n' "$bad" | "$probe" --database-url "$url" -q work --jobs - --handler count --type generate_brief_email 2>/dev/null || true
check "no-handler job failed permanently" [ "$(q "SELECT status || ' ' || attempts || ' ' || error_message FROM queue_jobs WHERE job_type = 'send_sms'")" = "failed 1 no handler for job type \"send_sms\" in queue-probe" ]
check "bad metadata failed permanently with the reason" [ "$(q "SELECT status = 'failed' AND error_message LIKE '%emailId%' FROM queue_jobs WHERE id = $bad")" = "t" ]
check "the good job in the same batch completed" [ "$(q "SELECT status FROM queue_jobs WHERE job_type = 'other'")" = "completed" ]
q "DELETE FROM queue_jobs" >/dev/null

# 6. SIGTERM during work: the job in hand finishes, the rest of the batch
# is released, nothing stays processing.
q "INSERT INTO queue_jobs (job_type, metadata) SELECT 'other', '{\"ms\": 1500}' FROM generate_series(1, 6)" >/dev/null
"$probe" --database-url "$url" -q work --handler sleep --batch 6 2>"$tmp/term.err" &
worker=$!
wait_for "SELECT count(*) = 6 FROM queue_jobs WHERE status = 'processing'"
kill -TERM "$worker"
set +e
wait "$worker"
status=$?
set -e
check "worker exits 0 after SIGTERM in long-running mode" [ "$status" -eq 0 ]
check "no job left processing" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'processing'")" = "0" ]
check "the job in hand completed" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'completed'")" = "1" ]
check "the rest went back pending with no attempt used" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'pending' AND attempts = 0")" = "5" ]

# 7. A drain interrupted by SIGTERM exits 130.
"$probe" --database-url "$url" -q work --drain --handler sleep --batch 5 2>/dev/null &
worker=$!
wait_for "SELECT count(*) >= 1 FROM queue_jobs WHERE status = 'processing'"
kill -TERM "$worker"
set +e
wait "$worker"
status=$?
set -e
check "interrupted drain exits 130" [ "$status" -eq 130 ]
check "still nothing left processing" [ "$(q "SELECT count(*) FROM queue_jobs WHERE status = 'processing'")" = "0" ]

finish
