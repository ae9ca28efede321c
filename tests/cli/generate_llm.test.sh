# briefos-generate's LLM analysis against a local chat-completions stub
# (tests/cli/llm_stub.py): success, timeout, 429 then success, 500 forever,
# garbage and cut-off JSON, model fallback, and many requests in flight.
# Needs BRIEFOS_TEST_DATABASE_URL.
. "$BRIEFOS_SOURCE_DIR/tests/cli/lib.sh"
need_db

gen="$bin/briefos-generate"
url=$(new_migrated_db genllm)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
sql() { $PSQL "$url" -XAtqc "$1"; }
alice=aaaaaaaa-0000-4000-8000-000000000001

/usr/bin/python3 "$src/tests/cli/llm_stub.py" --port-file "$tmp/port" --log "$tmp/llm.log" &
stub=$!
trap 'kill $stub 2>/dev/null; cleanup_dbs; rm -rf "$tmp"' EXIT
# Wait for the stub to listen (it writes the port file only then).
i=0
while [ ! -s "$tmp/port" ]; do
  i=$((i + 1))
  [ $i -lt 200 ] || { echo "LLM stub did not start" >&2; exit 1; }
  sleep 0.05
done
base="http://127.0.0.1:$(cat "$tmp/port")"

# The key comes from the environment, never argv.
export BRIEFOS_LLM_API_KEY=sk-test-secret

# run DATE MODE [extra args]: regenerate alice's brief of DATE with the stub
# in MODE; the JSON line lands in $tmp/line, stderr in $tmp/err.
run() {
  _date=$1; _mode=$2; shift 2
  set +e
  "$gen" --database-url "$url" --json --force --user "$alice" --date "$_date" \
    --llm-url "$base/$_mode" "$@" >"$tmp/line" 2>"$tmp/err"
  _rc=$?
  set -e
  return 0
}
llm_of() { sql "SELECT llm_status || '|' || coalesce(metadata->>'llm_error', '') FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '$1'"; }

# --- success ---------------------------------------------------------------------
run 2025-10-01 ok --llm-model stub-1
check "success: exit 0" test "$_rc" -eq 0
check "success: the line says llm ok" grep -q '"status":"completed".*"llm":"ok"' "$tmp/line"
check "success: the analysis is stored" \
  test "$(sql "SELECT llm_status || '|' || llm_analysis FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-01'" | head -1)" = "ok|# Daily Brief Analysis - stub"
check "success: the key was sent as a Bearer token" grep -q '"authorization": "Bearer sk-test-secret"' "$tmp/llm.log"
check "success: system and user messages were sent to model stub-1" \
  grep -q '"path": "/ok/v1/chat/completions", "model": "stub-1".*"messages": 2' "$tmp/llm.log"
check "success: the key is not in any output" sh -c "! grep -q sk-test-secret '$tmp/line' '$tmp/err'"

# --- a full endpoint URL is accepted too --------------------------------------------
run 2025-10-01 ok/v1/chat/completions --llm-model stub-1
check "full URL: llm ok" grep -q '"llm":"ok"' "$tmp/line"

# --- timeout ----------------------------------------------------------------------
start=$(date +%s)
run 2025-10-02 hang --llm-model stub-1 --llm-timeout 1
end=$(date +%s)
check "timeout: the brief still completes (exit 0)" test "$_rc" -eq 0
check "timeout: llm_status failed and the error says timed out" \
  sh -c "test \"\$(echo '$(llm_of 2025-10-02)' | cut -d'|' -f1)\" = failed && echo '$(llm_of 2025-10-02)' | grep -q 'timed out'"
check "timeout: gave up within 10 s" test $((end - start)) -lt 10

# --- 429 then success ---------------------------------------------------------------
run 2025-10-03 429once/k1 --llm-model stub-1
check "429 then success: llm ok" grep -q '"llm":"ok"' "$tmp/line"
check "429 then success: two requests, the retry after Retry-After" \
  test "$(grep -c '"/429once/k1/v1/chat/completions"' "$tmp/llm.log")" -eq 2
check "429 then success: the retry waited about Retry-After (>= 0.9 s)" \
  /usr/bin/python3 -c "
import json,sys
ts=[json.loads(l)['t'] for l in open('$tmp/llm.log') if '/429once/k1/' in l]
sys.exit(0 if ts[1]-ts[0] >= 0.9 else 1)"

# --- 500 forever ---------------------------------------------------------------------
run 2025-10-04 500 --llm-model stub-1
check "500 forever: the brief still completes (exit 0)" test "$_rc" -eq 0
check "500 forever: llm failed with HTTP 500" sh -c "echo '$(llm_of 2025-10-04)' | grep -q '^failed|.*HTTP 500'"
check "500 forever: three attempts (two retries)" test "$(grep -c '"/500/v1/chat/completions"' "$tmp/llm.log")" -eq 3
check "500 forever: the summary counts the LLM failure" grep -q "LLM ok 0, failed 1" "$tmp/err"

# --- garbage and cut-off JSON -------------------------------------------------------------
run 2025-10-05 garbage --llm-model stub-1
check "garbage: brief completes, llm failed: not valid JSON" \
  sh -c "test $_rc -eq 0 && echo '$(llm_of 2025-10-05)' | grep -q '^failed|.*not valid JSON'"
run 2025-10-06 truncated --llm-model stub-1
check "cut-off JSON: brief completes, llm failed: not valid JSON" \
  sh -c "test $_rc -eq 0 && echo '$(llm_of 2025-10-06)' | grep -q '^failed|.*not valid JSON'"
check "a failed analysis stores no analysis text" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE llm_status = 'failed' AND llm_analysis IS NOT NULL")" -eq 0

# --- fallback model ------------------------------------------------------------------------
run 2025-10-07 model/good --llm-model bad --llm-model good
check "fallback: the second model answered" \
  test "$(sql "SELECT llm_analysis FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-07'" | grep -c '(good)')" -eq 1
check "fallback: bad was tried first" grep -q '"path": "/model/good/v1/chat/completions", "model": "bad"' "$tmp/llm.log"

# queue_20 MONTH FILE: 20 of alice's brief jobs, MONTH-01 to MONTH-20, ids into FILE.
queue_20() {
  : >"$2"
  for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
    sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
         VALUES ('generate_daily_brief', '$alice',
                 jsonb_build_object('userId', '$alice', 'briefDate', '$1-$d', 'options', '{}'::jsonb))
         RETURNING id" >>"$2"
  done
}
# in_flight PATH N: the stub got 20 requests whose path starts with PATH, and
# at least N of them were in flight at once. Overlap is measured where it
# happens, at the stub: each request is in flight from its arrival for
# 500 ms. (Wall time from the program's start also counts its start-up and
# its connections, which a sanitizer build on a busy machine stretches by
# seconds; the time from the first request on does not depend on that.)
in_flight() {
  /usr/bin/python3 - "$tmp/llm.log" "$1" "$2" <<'PY'
import json, sys
log, path, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
ts = sorted(r["t"] for r in map(json.loads, open(log)) if r["path"].startswith(path))
most = max(sum(1 for u in ts if t <= u < t + 0.5) for t in ts)
print("  %d requests, at most %d in flight at once" % (len(ts), most))
sys.exit(0 if len(ts) == 20 and most >= want else 1)
PY
}

# --- many in flight: 20 briefs on 20 slots against a 500 ms stub overlap -----------------
queue_20 2025-11 "$tmp/many"
start=$(/usr/bin/python3 -c 'import time; print(time.time())')
set +e
"$gen" --database-url "$url" -q --jobs "$tmp/many" --json --concurrency 20 --batch 1 \
  --llm-url "$base/slow/500" --llm-model stub-1 >"$tmp/many.out" 2>"$tmp/many.err"
rc=$?
set -e
end=$(/usr/bin/python3 -c 'import time; print(time.time())')
check "20 briefs with a 500 ms LLM: all completed with llm ok" \
  test "$rc" -eq 0 -a "$(grep -c '"llm":"ok"' "$tmp/many.out")" -eq 20
check "20 briefs with a 500 ms LLM overlap: at least 8 requests in flight at once" \
  in_flight /slow/500/v1/ 8
check "20 briefs with a 500 ms LLM: done well under the 10 s of one at a time" \
  /usr/bin/python3 -c "
import json,sys
first=min(json.loads(l)['t'] for l in open('$tmp/llm.log') if '/slow/500/v1/' in l)
d=$end-first
print('  %.2f s from the first request to the end (%.2f s from the start)' % (d, $end-$start))
sys.exit(0 if d < 5 else 1)"

# --- one slot, one batch: the batch's 20 analyses are in flight at once ------------------
queue_20 2025-12 "$tmp/batch"
set +e
"$gen" --database-url "$url" -q --jobs "$tmp/batch" --json --concurrency 1 --batch 20 \
  --llm-max-in-flight 20 --llm-url "$base/slow/500/batch" --llm-model stub-1 \
  >"$tmp/batch.out" 2>"$tmp/batch.err"
rc=$?
set -e
check "one slot with --batch 20: all 20 briefs completed with llm ok" \
  test "$rc" -eq 0 -a "$(grep -c '"llm":"ok"' "$tmp/batch.out")" -eq 20
check "one slot with --batch 20: the analyses are stored in each brief" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice'
                 AND brief_date BETWEEN '2025-12-01' AND '2025-12-20' AND llm_status = 'ok'
                 AND llm_analysis LIKE '%Daily Brief Analysis%'")" -eq 20
check "one slot with --batch 20: at least 10 requests in flight at once" \
  in_flight /slow/500/batch/ 10

finish
