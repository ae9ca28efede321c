#!/bin/sh
# Command-line and config-file abuse on all five programs: huge values,
# negative numbers, NaN and infinity, values that are not UTF-8, unknown
# config keys, config files that are directories, devices, garbage or
# unreadable, missing secret, template and list files. Each ends with the
# documented exit status (2 for usage) and a clear error: one line
# "PROGRAM: error: ...", at most one hint line after it, nothing on stdout,
# and nothing written to the database.
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"
need_db

url=$(new_migrated_db hostcli)
sql() { $PSQL "$url" -XAtqc "$1"; }
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
sql "INSERT INTO queue_jobs (job_type, user_id, metadata) VALUES ('generate_daily_brief',
     'aaaaaaaa-0000-4000-8000-000000000001', '{\"userId\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"briefDate\": \"2025-10-01\"}')" >/dev/null
export BRIEFOS_DATABASE_URL="$url"
export BRIEFOS_EMAIL_TRANSPORT="maildir:$tmp/Maildir"
state() { sql "SELECT (SELECT count(*) FROM queue_jobs WHERE status = 'pending') || '/' || (SELECT count(*) FROM daily_briefs)"; }
before=$(state)

# abuse STATUS PATTERN PROGRAM ARGS...: PROGRAM ARGS exits STATUS with a
# first stderr line "PROGRAM: error: ..." matching PATTERN (grep -E), at
# most one more line (a hint), and no output.
abuse() {
  _want=$1; _pat=$2; _prog=$3; shift 3
  run_timed abuse "$bin/$_prog" "$@"
  _first=$(head -n 1 "$tmp/abuse.err")
  _lines=$(wc -l <"$tmp/abuse.err")
  _desc="$_prog $(echo "$*" | cut -c1-70 | tr -d '\377')"
  if [ "$rc" -eq "$_want" ] && echo "$_first" | grep -qE "^$_prog: error: .*($_pat)" \
     && [ "$_lines" -le 2 ] && { [ "$_lines" -le 1 ] || sed -n 2p "$tmp/abuse.err" | grep -q "^$_prog: hint: "; } \
     && [ ! -s "$tmp/abuse.out" ]; then
    ok "$_desc: exit $_want, one clear error line"
  else
    not_ok "$_desc: exit $rc (wanted $_want), $_lines stderr line(s)"; show "$tmp/abuse.err"; show "$tmp/abuse.out"
  fi
}

# --- huge, negative, NaN, infinite and malformed numbers ---------------------------
abuse 2 'batch' briefos-generate --drain --batch 99999999999999999999
abuse 2 'batch' briefos-email --drain --batch -1
abuse 2 'batch' briefos-generate --drain --batch 1e3x
abuse 2 'concurrency' briefos-email --drain --concurrency 0
abuse 2 'concurrency' briefos-generate --drain --concurrency 100000
abuse 2 'lease' briefos-generate --drain --lease 1e30
abuse 2 'lease' briefos-email --drain --lease -300
abuse 2 'max-jobs' briefos-generate --drain --max-jobs -5
abuse 2 'max-runtime' briefos-email --drain --max-runtime 99999999999999
abuse 2 'poll-interval' briefos-generate --drain --poll-interval 0
abuse 2 'overdue-limit' briefos-generate --drain --overdue-limit -1
abuse 2 'llm-timeout' briefos-generate --drain --llm-timeout -1
abuse 2 'llm-timeout' briefos-generate --drain --llm-timeout nan
abuse 2 'llm-timeout' briefos-generate --drain --llm-timeout inf
abuse 2 'llm-max-in-flight' briefos-generate --drain --llm-max-in-flight 0
abuse 2 'date' briefos-generate --user alice@example.com --date 99999-01-01
abuse 2 'date' briefos-generate --user alice@example.com --date -2025-10-01
abuse 2 'timeout' briefos-email --drain --timeout -1
abuse 2 'connect-timeout' briefos-email --drain --connect-timeout 0
abuse 2 'rate' briefos-email --drain --rate -5
abuse 2 'rate' briefos-email --drain --rate 1e400
abuse 2 'rate' briefos-email --drain --rate nan
abuse 2 'rate' briefos-email --drain --rate 5/fortnight
abuse 2 'connections' briefos-email --drain --connections 100000
abuse 2 'lookahead' briefos-schedule --dry-run --lookahead -5m
abuse 2 'catch-up' briefos-schedule --dry-run --catch-up 1e400s
abuse 2 'now' briefos-schedule --dry-run --now 99999-01-01T00:00:00Z
abuse 2 'batch-size' briefos-schedule --dry-run --batch-size -1
abuse 2 'lock-timeout' briefos-schedule --dry-run --lock-timeout 99999999999
abuse 2 '366 days' briefos-schedule --dry-run --user alice@example.com --from 2025-01-01 --to 2030-01-01
abuse 2 'days' briefos-stats briefs --days 0
abuse 2 'days' briefos-stats briefs --days 99999999999
abuse 2 'top' briefos-stats queue --top -1
abuse 2 'max-failure-rate' briefos-stats health --max-failure-rate nan
abuse 2 'max-queue-age' briefos-stats health --max-queue-age -5m
abuse 2 'tz' briefos-stats --tz ../../etc/passwd briefs
abuse 2 'lock-timeout' briefos-migrate --lock-timeout -1 status
abuse 2 'not expected' briefos-migrate down 99999999999999999999

# --- values that are not UTF-8 (PostgreSQL would refuse them) -----------------------
bad=$(printf 'alice\377@example.com')
abuse 2 'user.*UTF-8' briefos-generate --user "$bad" --date 2025-10-01
abuse 2 'email-from-name.*UTF-8' briefos-generate --drain --email-from-name "$(printf 'Brief\377bot')"
abuse 2 'user.*UTF-8' briefos-schedule --user "$bad" --date 2025-10-01
abuse 2 'user.*UTF-8' briefos-stats user "$bad"
abuse 2 'from.*UTF-8' briefos-email --drain --from "$(printf 'Brief\377 <b@example.com>')"
check "none of the above ran a job or wrote a brief" test "$(state)" = "$before"

# --- values that would break every email of the run later ---------------------------
abuse 2 'email-from.*line break' briefos-generate --drain --email-from "$(printf 'a@example.com\r\nBcc: evil@evil.example')"
abuse 2 'email-from.*not an email address' briefos-generate --drain --email-from 'not an address'
abuse 2 'email-from-name.*line break' briefos-generate --drain --email-from-name "$(printf 'Briefs\nBcc: evil@evil.example')"
abuse 2 'from.*line break' briefos-email --drain --from "$(printf 'a@example.com\r\nBcc: evil@evil.example')"
abuse 2 'base-url' briefos-email --drain --base-url 'javascript:alert(1)'
abuse 2 'base-url' briefos-email --drain --base-url 'https://x/"><script>'
check "still nothing ran" test "$(state)" = "$before"

# --- config files ---------------------------------------------------------------------
printf 'batch = 5\nbogus_key = 1\nlease_seconds = 10\n[nosuchsection]\nx = 2\n' >"$tmp/unknown.toml"
run_timed unknown "$bin/briefos-generate" --config "$tmp/unknown.toml" --dry-run --user alice@example.com --date 2025-10-01
check "unknown config keys: exit 0" test "$rc" -eq 0
for k in 2:bogus_key 3:lease_seconds; do
  check "unknown config key ${k#*:}: a warning naming it and its line" \
    grep -q "^briefos-generate: warning: config file \"$tmp/unknown.toml\", line ${k%%:*}: unknown key \"${k#*:}\" ignored" "$tmp/unknown.err"
done
check "unknown config section [nosuchsection]: a warning naming it and its line" \
  grep -q "^briefos-generate: warning: config file \"$tmp/unknown.toml\", line 4: unknown section \[nosuchsection\] ignored" "$tmp/unknown.err"
abuse 2 'No such file' briefos-schedule --config "$tmp/missing.toml" --dry-run
abuse 2 'Is a directory' briefos-generate --config "$tmp" --dry-run
abuse 2 'Is a directory' briefos-email --config "$tmp" --dry-run
abuse 2 'Is a directory' briefos-stats --config "$tmp" briefs
abuse 2 'Is a directory' briefos-migrate --config "$tmp" status
abuse 2 'Not a directory' briefos-generate --config "$tmp/unknown.toml/sub" --dry-run
run_timed devzero timeout 20 "$bin/briefos-generate" --config /dev/zero --drain
check "--config /dev/zero: an error (exit 2), not a hang (${ms} ms)" test "$rc" -eq 2
check "--config /dev/zero: says larger than 1 MiB" grep -q 'larger than 1 MiB' "$tmp/devzero.err"
printf 'batch = [1, 2]\n' >"$tmp/array.toml"
abuse 2 'batch' briefos-generate --config "$tmp/array.toml" --drain
printf 'batch = 99999999999999999999999\n' >"$tmp/huge.toml"
abuse 2 'huge.toml", line 1, column [0-9]+ \(key "batch"\)' briefos-generate --config "$tmp/huge.toml" --drain
printf 'batch = -3\n' >"$tmp/negative.toml"
abuse 2 'batch.*negative.toml' briefos-generate --config "$tmp/negative.toml" --drain
printf 'email_from_name = "Brief\377bot"\n' >"$tmp/latin1.toml"
abuse 2 'latin1.toml", line 1, column [0-9]+ \(key "email_from_name"\): .*utf-8' briefos-generate --config "$tmp/latin1.toml" --drain
printf 'llm_timeout = nan\n' >"$tmp/nan.toml"
abuse 2 'llm-timeout' briefos-generate --config "$tmp/nan.toml" --drain
run_timed envdir env BRIEFOS_CONFIG="$tmp" "$bin/briefos-generate" --drain
check "BRIEFOS_CONFIG naming a directory: exit 2" test "$rc" -eq 2
check "still nothing ran" test "$(state)" = "$before"

# --- other unreadable files -------------------------------------------------------------
abuse 2 'could not read job list' briefos-generate --jobs "$tmp/missing.ids"
abuse 2 'could not read email list' briefos-email --jobs "$tmp/missing.ids"
abuse 2 'secret file.*Is a directory' briefos-generate --drain --llm-url http://127.0.0.1:9 --llm-model m --llm-api-key-file "$tmp"
abuse 2 'secret file.*No such file' briefos-generate --drain --llm-url http://127.0.0.1:9 --llm-model m --llm-api-key-file "$tmp/missing"
abuse 2 'secret file.*Is a directory' briefos-email --drain --transport smtp://u@127.0.0.1:9 --smtp-password-file "$tmp"
abuse 2 'template directory' briefos-email --drain --template-dir "$tmp/missing"
abuse 2 'template directory' briefos-email --drain --template-dir "$tmp/unknown.toml"
abuse 1 'could not read migration directory' briefos-migrate --dir "$tmp/missing" status
abuse 1 'could not write' briefos-stats -o "$tmp/missing/dir/report.txt" briefs
check "finally, nothing ran" test "$(state)" = "$before"
finish
