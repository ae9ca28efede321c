#!/bin/sh
# briefos-generate against a misbehaving chat-completions endpoint
# (tests/cli/llm_stub.py): hanging, 429 storms (with and without
# Retry-After), slow and dripping responses, refused connections, invalid
# JSON of every kind, error bodies with NUL bytes and invalid UTF-8, NUL in
# an analysis, huge responses (peak RSS measured with /usr/bin/time -v).
# In every case the brief completes without the analysis (llm_status
# failed, the reason in metadata.llm_error), as documented in
# briefos-generate(1), and nothing waits longer than its timeout.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

gen="$bin/briefos-generate"
url=$(new_migrated_db faultllm)
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
sql() { $PSQL "$url" -XAtqc "$1"; }
alice=aaaaaaaa-0000-4000-8000-000000000001
start_llm

# brief DATE MODE [args]: regenerate alice's brief of DATE against the stub in
# MODE; rc, ms, $tmp/g.out and $tmp/g.err as run_timed sets them.
brief() {
  _d=$1; _m=$2; shift 2
  run_timed g "$gen" --database-url "$url" --json --force --user "$alice" --date "$_d" \
    --llm-url "$llm_base/$_m" --llm-model stub "$@"
}
# status_of DATE: generation status | llm status | llm error of alice's brief.
status_of() {
  sql "SELECT generation_status || '|' || coalesce(llm_status, '') || '|' || coalesce(metadata->>'llm_error', '')
         FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '$1'"
}
requests() { grep -c "\"/$1/v1/chat/completions\"" "$llm_log" || true; }
# completes_without DATE PATTERN: the brief of DATE is complete, its LLM
# status failed, its error matches PATTERN, and no analysis is stored.
completes_without() {
  _s=$(status_of "$1")
  case $_s in
    completed\|failed\|*) echo "$_s" | grep -q -- "$2" && \
      [ "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '$1' AND llm_analysis IS NULL")" = 1 ] ;;
    *) echo "  | brief of $1: $_s" >&2; return 1 ;;
  esac
}

# --- hanging: twelve briefs at once, each request hangs --------------------------------
: >"$tmp/many"
for d in 01 02 03 04 05 06 07 08 09 10 11 12; do
  sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
       VALUES ('generate_daily_brief', '$alice', jsonb_build_object('userId', '$alice',
               'briefDate', '2025-12-$d', 'options', '{}'::jsonb)) RETURNING id" >>"$tmp/many"
done
run_timed many "$gen" --database-url "$url" -q --jobs "$tmp/many" --concurrency 12 --batch 1 \
  --llm-url "$llm_base/hang" --llm-model stub --llm-timeout 2
check "12 hanging requests at once: exit 0" test "$rc" -eq 0
check "12 hanging requests: all 12 briefs complete without analysis, llm_error says timed out" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE brief_date BETWEEN '2025-12-01' AND '2025-12-12' AND generation_status = 'completed' AND llm_status = 'failed' AND llm_analysis IS NULL AND metadata->>'llm_error' LIKE '%timed out%'")" -eq 12
check "12 hanging requests overlap: done in about one 2 s timeout, not the server's 30 s ($ms ms)" test "$ms" -lt 10000

# --- 429 storms -----------------------------------------------------------------------
n0=$(requests 429bare)
brief 2025-10-04 429bare
check "429 without Retry-After: three attempts with backoff, brief completes" \
  sh -c "test $rc -eq 0 && test $(($(requests 429bare) - n0)) -eq 3"
check "429 without Retry-After: llm failed" completes_without 2025-10-04 'HTTP 429'
: >"$tmp/storm"
for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
  sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
       VALUES ('generate_daily_brief', '$alice', jsonb_build_object('userId', '$alice',
               'briefDate', '2026-01-$d', 'options', '{}'::jsonb)) RETURNING id" >>"$tmp/storm"
done
n0=$(requests 429storm)
run_timed storm "$gen" --database-url "$url" -q --jobs "$tmp/storm" --concurrency 20 --batch 1 \
  --llm-url "$llm_base/429storm" --llm-model stub
check "20 briefs in a 429 storm: exit 0, all complete without analysis" \
  test "$rc:$(sql "SELECT count(*) FROM daily_briefs WHERE brief_date BETWEEN '2026-01-01' AND '2026-01-20' AND generation_status = 'completed' AND llm_status = 'failed'")" = "0:20"
check "20 briefs in a 429 storm: exactly 3 requests each (60)" test $(($(requests 429storm) - n0)) -eq 60
check "20 briefs in a 429 storm: Retry-After (1 s) honoured twice, bounded time ($ms ms)" \
  sh -c "test $ms -ge 2000 && test $ms -lt 15000"

# --- slow responses -----------------------------------------------------------------------
brief 2025-10-05 slow/1500 --llm-timeout 5
check "slow (1.5 s) within the timeout: llm ok" test "$(status_of 2025-10-05)" = "completed|ok|"
check "slow: the brief waited for it ($ms ms)" test "$ms" -ge 1500
brief 2025-10-06 drip/50 --llm-timeout 3
check "a response dripping one byte every 50 ms: brief completes, llm timed out" completes_without 2025-10-06 'timed out'
check "dripping response: cut at the 3 s timeout ($ms ms)" sh -c "test $rc -eq 0 && test $ms -ge 2500 && test $ms -lt 9000"

# --- refused connection -----------------------------------------------------------------------
closed=$(free_port)
run_timed refused "$gen" --database-url "$url" --json --force --user "$alice" --date 2025-10-07 \
  --llm-url "http://127.0.0.1:$closed" --llm-model stub
check "refused connection: brief completes, llm failed" completes_without 2025-10-07 'onnect'
check "refused connection: exit 0 in bounded time ($ms ms)" sh -c "test $rc -eq 0 && test $ms -lt 10000"

# --- invalid JSON and wrong shapes: one run, one kind per brief ------------------------
kinds="garbage+truncated+badutf8+latin1+cut+surrogate+wrongshape+nocontent+emptychoices+array+deep"
: >"$tmp/bad"
for d in 11 12 13 14 15 16 17 18 19 20 21; do
  sql "INSERT INTO queue_jobs (job_type, user_id, metadata)
       VALUES ('generate_daily_brief', '$alice', jsonb_build_object('userId', '$alice',
               'briefDate', '2025-10-$d', 'options', '{}'::jsonb)) RETURNING id" >>"$tmp/bad"
done
run_timed bad "$gen" --database-url "$url" --json --jobs "$tmp/bad" --concurrency 1 --batch 1 \
  --llm-url "$llm_base/cycle/$kinds" --llm-model stub
check "11 invalid responses (one each: $kinds): exit 0" test "$rc" -eq 0
check "11 invalid responses: 11 requests, no retry of a useless answer" test "$(requests "cycle/$kinds")" -eq 11
check "11 invalid responses: every brief completes without analysis, its error stored" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice' AND brief_date BETWEEN '2025-10-11' AND '2025-10-21' AND generation_status = 'completed' AND llm_status = 'failed' AND llm_analysis IS NULL AND metadata->>'llm_error' <> ''")" -eq 11
check "the six bodies that are not JSON (garbage, cut off, invalid UTF-8, Latin-1, cut UTF-8, a lone surrogate) say not valid JSON" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice' AND brief_date BETWEEN '2025-10-11' AND '2025-10-21' AND metadata->>'llm_error' LIKE '%not valid JSON%'")" -eq 6
check "the five of the wrong shape say so (no choices, no text content, not a JSON object)" \
  test "$(sql "SELECT count(*) FROM daily_briefs WHERE user_id = '$alice' AND brief_date BETWEEN '2025-10-11' AND '2025-10-21' AND metadata->>'llm_error' ~ '(no choices|no text content|not a JSON object)'")" -eq 5

# --- error bodies with NUL bytes, invalid and cut UTF-8 ----------------------------------------
brief 2025-10-22 rawstatus/400/latin1
check "HTTP 400 whose body has a NUL byte and Latin-1: brief completes (exit $rc)" test "$rc" -eq 0
check "HTTP 400 with a NUL byte: llm failed, the error stored" completes_without 2025-10-22 'HTTP 400'
check "the stored error has no NUL (and no control character)" \
  test "$(sql "SELECT metadata->>'llm_error' ~ '[[:cntrl:]]' FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-22'")" = f
brief 2025-10-24 rawstatus/503/nulmsg
check "HTTP 503 with a JSON error message holding a NUL: brief completes (exit $rc)" test "$rc" -eq 0
check "HTTP 503 with NUL: llm failed, error stored" completes_without 2025-10-24 'HTTP 503'

# --- NUL in the analysis itself --------------------------------------------------------------------
brief 2025-10-25 content/nul
check "an analysis with a NUL byte: stored with the NUL removed, nothing after it lost" \
  test "$(sql "SELECT llm_status || '|' || (llm_analysis LIKE '%beforeafter%') FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-25'")" = "ok|true"

# --- huge responses: bounded memory ---------------------------------------------------------
rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }
run_timed base /usr/bin/time -v "$gen" --database-url "$url" -q --force --user "$alice" --date 2025-10-26
base_kb=$(rss_kb "$tmp/base.err")
run_timed huge /usr/bin/time -v "$gen" --database-url "$url" -q --force --user "$alice" --date 2025-10-27 \
  --llm-url "$llm_base/huge/256" --llm-model stub
huge_kb=$(rss_kb "$tmp/huge.err")
echo "  peak RSS without LLM: ${base_kb} kB; against a 256 MiB response: ${huge_kb} kB ($ms ms)"
check "a 256 MiB response is refused: brief completes, llm failed: response larger than" \
  completes_without 2025-10-27 'response larger than'
check "a 256 MiB response costs at most 24 MB over the baseline (the 4 MiB cap)" \
  test $((huge_kb - base_kb)) -lt 24576
check "a 256 MiB response is abandoned early ($ms ms)" test "$ms" -lt 10000
run_timed big /usr/bin/time -v "$gen" --database-url "$url" --json --force --user "$alice" --date 2025-10-28 \
  --llm-url "$llm_base/bigok/3000" --llm-model stub
echo "  peak RSS with a 3 MB analysis: $(rss_kb "$tmp/big.err") kB"
check "a 3 MB analysis (under the cap) is stored" \
  test "$(sql "SELECT llm_status || '|' || (length(llm_analysis) > 3000000) FROM daily_briefs WHERE user_id = '$alice' AND brief_date = '2025-10-28'")" = "ok|true"

check "no job left processing or pending" \
  test "$(sql "SELECT count(*) FROM queue_jobs WHERE status IN ('processing', 'pending') AND job_type = 'generate_daily_brief'")" -eq 0
finish
