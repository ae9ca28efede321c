#!/bin/sh
# Secrets stay secret: a full pipeline (migrate, schedule, generate with an
# LLM API key, email over SMTP with AUTH) runs against a database reached with
# a password, and then every way it can fail with those secrets in hand is
# provoked (a wrong database password, in URL and in conninfo form, for each
# program; an unreachable and a failing LLM; a wrong SMTP password). Every
# output is then searched for the secrets: stdout and stderr of every run,
# the --json lines, the database (pg_dump, plus the job results and error
# columns through psql), the Maildir and the messages the SMTP server
# received, and the process table sampled with ps (and each program's
# /proc/PID/cmdline) while the programs ran. None may hold a secret, nor the
# base64 forms SMTP AUTH sends.
#
# The webhook transport runs with a token in its URL's query and a user name
# as credential (webhook+http://TOKENUSER@host/mail?token=...), refused (503,
# 400) and accepted, so the token would reach the tracking events, the error
# columns, the logs and --json if any of them quoted the URL. And the front
# end's guards: http:// to another host refused for the LLM and the webhook
# (unless --allow-insecure-http); a warning for a password on the command
# line and for a secret or config file that group or others may read; a
# process holding a secret is not dumpable (its /proc files belong to root,
# seen from an unprivileged run).
#
# Password authentication needs a cluster that checks passwords, so this test
# starts its own (scripts/pg) with scram-sha-256 on 127.0.0.1; the shared
# test cluster trusts every local connection. Needs the PostgreSQL server
# binaries (and BRIEFOS_TEST_DATABASE_URL, like every database test).
. "$BRIEFOS_SOURCE_DIR/tests/cli/lib.sh"
need_db

py=/usr/bin/python3
out="$tmp/collected"
mkdir -p "$out"
rnd=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
db_pw="dbpw-Zq8xK3vR7tN2-$rnd"
wrong_pw="wrongpw-Ut3gE7kA9rY5-$rnd"
smtp_pw="smtppw-Hy5wL9cB4mQ1-$rnd"
smtp_wrong="smtpwrong-Jd4rF8pS2vB6-$rnd"
llm_key="sk-llmkey-Pf6jD2sV8nX4-$rnd"
file_key="sk-keyfile-Wb7nQ3tH5kZ9-$rnd"
hook_token="hooktoken-Qm3vT8xW1pK6-$rnd"
hook_user="hookuser-Lx2cN7rB4dG9-$rnd"
hook_secret="hooksecret-Ge5yP2hJ8sT3-$rnd"
smtp_user=briefos
# What SMTP AUTH puts on the wire: PLAIN is base64("\0user\0password"), LOGIN
# the base64 of the password alone.
b64() { printf "$1" "$2" "${3-}" | base64 | tr -d '\n'; }
needles="$db_pw $wrong_pw $smtp_pw $smtp_wrong $llm_key $file_key $hook_token $hook_user $hook_secret
$(b64 '\0%s\0%s' "$smtp_user" "$smtp_pw") $(b64 '\0%s\0%s' "$smtp_user" "$smtp_wrong")
$(b64 '%s' "$smtp_pw") $(b64 '%s' "$smtp_wrong")"

# --- a cluster that checks passwords over TCP ------------------------------------
pgdir="$tmp/pg"
pg() { sh "$src/scripts/pg" "$@"; }
pg start "$pgdir" >/dev/null
# shellcheck disable=SC1091
. "$pgdir/pg.env"
hba="$DATADIR/pg_hba.conf"
{ echo "host all all 127.0.0.1/32 scram-sha-256"; cat "$hba"; } >"$tmp/hba"
cat "$tmp/hba" >"$hba"  # rewrite in place: keeps the server's ownership
pg stop "$pgdir"
admin_any=$(pg start "$pgdir")
. "$pgdir/pg.env"
admin=$(echo "$admin_any" | sed 's#/briefos?#/secrets?#')

cleanup() {
  [ -z "${stub:-}" ] || kill "$stub" 2>/dev/null || true
  [ -z "${hook:-}" ] || kill "$hook" 2>/dev/null || true
  [ -z "${worker:-}" ] || kill "$worker" 2>/dev/null || true
  [ -z "${smtp:-}" ] || kill "$smtp" 2>/dev/null || true
  pg destroy "$pgdir" >/dev/null 2>&1 || true
  cleanup_dbs
  rm -rf "$tmp"
  [ -z "${pub:-}" ] || rm -rf "$pub"
}
trap cleanup EXIT

$PSQL "$admin_any" -Xq -v ON_ERROR_STOP=1 -c "CREATE ROLE briefos_app LOGIN PASSWORD '$db_pw'" \
  -c "CREATE DATABASE secrets OWNER briefos_app" >/dev/null
app_url="postgresql://briefos_app:$db_pw@127.0.0.1:$PORT/secrets"
bad_url="postgresql://briefos_app:$wrong_pw@127.0.0.1:$PORT/secrets"
bad_conninfo="host=127.0.0.1 port=$PORT dbname=secrets user=briefos_app password=$wrong_pw"
gone_url="postgresql://briefos_app:$db_pw@127.0.0.1:1/secrets"
q() { $PSQL "$admin" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

check "the cluster refuses a wrong password" \
  sh -c "! $PSQL '$bad_url' -Xqc 'SELECT 1' >/dev/null 2>&1"
check "the cluster accepts the right one" sh -c "$PSQL '$app_url' -XAtqc 'SELECT 1' >/dev/null"

# --- the LLM stub and an SMTP server that requires AUTH ----------------------------
$py "$src/tests/cli/llm_stub.py" --port-file "$tmp/llm.port" --log "$tmp/llm.log" &
stub=$!
mkfifo "$tmp/smtp.fifo"
SMTP_SINK_AUTH="$smtp_user:$smtp_pw" $py "$src/tests/cli/smtp_server.py" "$tmp/smtp" \
  >"$tmp/smtp.fifo" 2>"$tmp/smtp.log" &
smtp=$!
read -r smtp_port <"$tmp/smtp.fifo"
i=0
while [ ! -s "$tmp/llm.port" ]; do
  i=$((i + 1))
  [ $i -lt 200 ] || { echo "LLM stub did not start" >&2; exit 1; }
  sleep 0.05
done
llm="http://127.0.0.1:$(cat "$tmp/llm.port")"
transport="smtp://$smtp_user@127.0.0.1:$smtp_port?tls=none"
mailopts="--base-url https://app.example.com --message-id-domain example.com"

# run NAME STATUS CMD...: run CMD with stdout and stderr kept as NAME.out and
# NAME.err, sampling the process table (every process's argv) for as long as
# it runs, and pass if it exits with STATUS.
run() {
  _name=$1; _want=$2; shift 2
  "$@" >"$out/$_name.out" 2>"$out/$_name.err" &
  _pid=$!
  while kill -0 "$_pid" 2>/dev/null; do
    ps -eww -o pid=,args= >>"$out/ps.txt" 2>/dev/null || true
    { tr '\0' ' ' <"/proc/$_pid/cmdline"; echo; } >>"$out/cmdline.txt" 2>/dev/null || true
  done
  set +e
  wait "$_pid"
  _rc=$?
  set -e
  if [ "$_rc" -eq "$_want" ]; then ok "$_name: exit $_want"; else
    not_ok "$_name: exit $_rc, wanted $_want"; sed 's/^/  | /' "$out/$_name.err" | head -20; fi
}

# Every program reads the URL (with its password) from the environment.
export BRIEFOS_DATABASE_URL="$app_url"
export BRIEFOS_LLM_API_KEY="$llm_key"
export BRIEFOS_SMTP_PASSWORD="$smtp_pw"

# --- the pipeline ---------------------------------------------------------------------
run migrate 0 "$bin/briefos-migrate" --log-level debug up
$PSQL "$admin" -Xq -v ON_ERROR_STOP=1 -f "$src/tests/cli/generate_seed.sql" >/dev/null
run schedule 0 "$bin/briefos-schedule" --log-level debug --now 2025-10-01T12:55:00Z --json
check "schedule queued alice's brief" grep -q '"user_id":"aaaaaaaa-0000-4000-8000-000000000001"' "$out/schedule.out"
run generate 0 "$bin/briefos-generate" --log-level debug --drain --json \
  --llm-url "$llm/slow/1500" --llm-model stub-1
check "generate: the analysis came from the LLM" grep -q '"llm":"ok"' "$out/generate.out"
check "generate: the key was sent (as a Bearer token)" grep -q "\"authorization\": \"Bearer $llm_key\"" "$tmp/llm.log"
check "ps saw briefos-generate while it ran" grep -q 'briefos-generate' "$out/ps.txt"

# (Variables are set around run, never as "VAR=x run": for a shell function
# POSIX leaves it open whether such an assignment is exported.)
BRIEFOS_SMTP_PASSWORD="$smtp_wrong"
run email-wrong-password 6 \
  "$bin/briefos-email" --log-level debug --drain --json --transport "$transport" $mailopts --max-relay-failures 1
BRIEFOS_SMTP_PASSWORD="$smtp_pw"
check "a wrong SMTP password is refused by the server" grep -q 'BRIEFOS_SMTP_PASSWORD' "$out/email-wrong-password.err"
check "nothing was delivered without AUTH" test "$(find "$tmp/smtp" -name 'msg-*.eml' | wc -l)" -eq 0
q "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null  # the backoff, without waiting
run email 0 "$bin/briefos-email" --log-level debug --drain --json --transport "$transport" $mailopts
check "email: delivered over SMTP" test "$(find "$tmp/smtp" -name 'msg-*.eml' | wc -l)" -eq 1
check "email: the server saw the AUTH login" grep -q "\"auth_login\": \"$smtp_user\"" "$tmp/smtp"/msg-1.json

# The LLM key from a file; the LLM unreachable, then failing with HTTP 500.
printf '%s\n' "$file_key" >"$tmp/llm.key"
BRIEFOS_LLM_API_KEY=""
run generate-llm-unreachable 0 "$bin/briefos-generate" --log-level debug --json \
  --user alice@example.com --date 2025-10-02 --llm-url http://127.0.0.1:1 --llm-model stub-1 \
  --llm-api-key-file "$tmp/llm.key" --llm-timeout 2
check "generate: the unreachable LLM is recorded" test "$(q "SELECT llm_status FROM daily_briefs
  WHERE brief_date = '2025-10-02'")" = failed
run generate-llm-500 0 "$bin/briefos-generate" --log-level debug --json \
  --user alice@example.com --date 2025-10-03 --llm-url "$llm/500" --llm-model stub-1 \
  --llm-api-key-file "$tmp/llm.key"
BRIEFOS_LLM_API_KEY="$llm_key"
check "generate: the key from the file was sent" grep -q "\"authorization\": \"Bearer $file_key\"" "$tmp/llm.log"
check "generate: the HTTP 500 is recorded" test "$(q "SELECT metadata->>'llm_error' LIKE '%HTTP 500%'
  FROM daily_briefs WHERE brief_date = '2025-10-03'")" = t
# A server that quotes the credential it refused in its error message.
run generate-llm-echo401 0 "$bin/briefos-generate" --log-level debug --json \
  --user alice@example.com --date 2025-10-04 --llm-url "$llm/echo401" --llm-model stub-1
check "generate: the 401 is recorded" test "$(q "SELECT metadata->>'llm_error' LIKE '%HTTP 401%'
  FROM daily_briefs WHERE brief_date = '2025-10-04'")" = t
run email-maildir 0 "$bin/briefos-email" --drain --json --transport "maildir:$tmp/Maildir" $mailopts
check "email: three messages in the Maildir" test "$(find "$tmp/Maildir/new" -type f | wc -l)" -eq 3
# --- a webhook with a token in its URL, refused and accepted ------------------------
mkfifo "$tmp/hook.fifo"
WEBHOOK_SECRET=$hook_secret $py "$src/tests/cli/webhook_receiver.py" "$tmp/hook" >"$tmp/hook.fifo" 2>"$tmp/hook.log" &
hook=$!
read -r hook_port <"$tmp/hook.fifo"
BRIEFOS_LLM_API_KEY=""
for d in 2025-10-05 2025-10-06 2025-10-07; do
  run "generate-$d" 0 "$bin/briefos-generate" --user alice@example.com --date "$d" --json
done
BRIEFOS_LLM_API_KEY="$llm_key"
# The URL comes from the environment, as an operator should give it.
export BRIEFOS_EMAIL_TRANSPORT="webhook+http://$hook_user@127.0.0.1:$hook_port/mail?token=$hook_token&v=1"
export BRIEFOS_WEBHOOK_SECRET="$hook_secret"
due() { q "UPDATE queue_jobs SET scheduled_for = now() WHERE status = 'pending'" >/dev/null; }
printf 503 >"$tmp/hook/status"
run webhook-503 1 "$bin/briefos-email" --log-level debug --drain --json $mailopts
check "webhook: the 503 is recorded, URL and all" \
  test "$(q "SELECT count(*) FROM emails WHERE status = 'pending' AND error_message LIKE '%HTTP 503%'")" -eq 3
printf 400 >"$tmp/hook/status"
due
q "SELECT id FROM emails WHERE status = 'pending' ORDER BY id LIMIT 1" >"$tmp/one"
run webhook-400 1 "$bin/briefos-email" --log-level debug --json --jobs "$tmp/one" $mailopts
check "webhook: the 400 is recorded with its failed event" test "$(q "SELECT count(*) FROM email_tracking_events
  WHERE event_type = 'failed' AND event_data->>'error' LIKE '%HTTP 400%'")" -eq 1
printf 200 >"$tmp/hook/status"
due
run webhook-200 0 "$bin/briefos-email" --log-level debug --drain --json $mailopts
check "webhook: two posts accepted" test "$(find "$tmp/hook" -name 'req-*.json' | wc -l)" -eq 2
check "webhook: the sent events name the transport (the search below is not vacuous)" \
  test "$(q "SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'
    AND event_data->>'transport' LIKE 'webhook+http://%127.0.0.1%'")" -eq 2
check "webhook: the sent events keep the path but mask the token" \
  test "$(q "SELECT count(*) FROM email_tracking_events WHERE event_type = 'sent'
    AND event_data->>'transport' LIKE '%/mail?token=***&v=***'")" -eq 2
unset BRIEFOS_EMAIL_TRANSPORT BRIEFOS_WEBHOOK_SECRET
kill "$hook" 2>/dev/null || true

for report in emails briefs queue "user alice@example.com" health; do
  # shellcheck disable=SC2086
  run "stats-$(echo "$report" | cut -d' ' -f1)" 0 "$bin/briefos-stats" --log-level debug --tz UTC --json $report
done

# --- every program with a wrong database password, and with no server ------------
for p in migrate schedule generate email stats; do
  case $p in
    migrate) args="status" ;;
    generate) args="--drain" ;;
    email) args="--drain --transport $transport" ;;
    stats) args="queue" ;;
    *) args="" ;;
  esac
  # shellcheck disable=SC2086
  BRIEFOS_DATABASE_URL="$bad_url"
  run "$p-bad-password-url" 3 "$bin/briefos-$p" $args
  check "$p: the failure says why" grep -q 'password authentication failed' "$out/$p-bad-password-url.err"
  # shellcheck disable=SC2086
  BRIEFOS_DATABASE_URL="$bad_conninfo"
  run "$p-bad-password-conninfo" 3 "$bin/briefos-$p" --log-format json $args
  # shellcheck disable=SC2086
  BRIEFOS_DATABASE_URL="$gone_url"
  run "$p-no-server" 3 "$bin/briefos-$p" $args
  BRIEFOS_DATABASE_URL="$app_url"
done
# The password given on the command line instead (what an operator might do):
# it is in this process's argv by the operator's choice, but must not be
# echoed into any output.
set +e
"$bin/briefos-stats" --database-url "$bad_url" queue >"$out/stats-flag.out" 2>"$out/stats-flag.err"
set -e

check "a password on the command line is warned about, pointing elsewhere" \
  grep -q 'warning: --database-url on the command line holds a credential.*BRIEFOS_DATABASE_URL' "$out/stats-flag.err"
check "a password from the environment is not warned about" \
  sh -c "! grep -q 'on the command line' '$out/stats-queue.err'"

# --- plain http:// to another host ------------------------------------------------------
set +e
BRIEFOS_WEBHOOK_SECRET=$hook_secret "$bin/briefos-email" --drain $mailopts \
  --transport "webhook+http://hooks.invalid/mail?token=$hook_token" >"$out/hook-http.out" 2>"$out/hook-http.err"
rc=$?
set -e
check "http:// to a remote webhook is refused (exit 2)" test "$rc" -eq 2
check "... in one error line naming the option and the reason" sh -c "test \"\$(grep -c '' '$out/hook-http.err')\" -eq 2 \
  && grep -q -- '^briefos-email: error: refusing --transport .*http://.*in clear' '$out/hook-http.err'"
check "... after a warning that the token on the command line is public" \
  grep -q -- '^briefos-email: warning: --transport on the command line holds a credential' "$out/hook-http.err"
BRIEFOS_WEBHOOK_SECRET=$hook_secret
export BRIEFOS_WEBHOOK_SECRET
run hook-http-allowed 0 "$bin/briefos-email" --drain $mailopts --allow-insecure-http \
  --transport "webhook+http://hooks.invalid/mail"
unset BRIEFOS_WEBHOOK_SECRET
set +e
"$bin/briefos-generate" --user alice@example.com --date 2025-10-08 --llm-url http://llm.invalid:9 \
  --llm-model stub-1 >"$out/llm-http.out" 2>"$out/llm-http.err"
rc=$?
set -e
check "http:// to a remote LLM is refused (exit 2)" test "$rc" -eq 2
check "... in one line naming the option and the reason" sh -c "test \"\$(wc -l <'$out/llm-http.err')\" -eq 1 \
  && grep -q -- '--llm-url.*http://.*in clear.*--allow-insecure-http' '$out/llm-http.err'"
run llm-http-allowed 0 "$bin/briefos-generate" --user alice@example.com --date 2025-10-08 \
  --llm-url http://llm.invalid:9 --llm-model stub-1 --llm-timeout 2 --allow-insecure-http --json
check "... and attempted with --allow-insecure-http" test "$(q "SELECT llm_status FROM daily_briefs
  WHERE brief_date = '2025-10-08'")" = failed

# --- files others may read --------------------------------------------------------------
BRIEFOS_LLM_API_KEY=""  # the file, not the environment
chmod 644 "$tmp/llm.key"
run key-file-644 0 "$bin/briefos-generate" --user alice@example.com --date 2025-10-02 --dry-run \
  --llm-url "$llm/ok" --llm-model stub-1 --llm-api-key-file "$tmp/llm.key"
check "a key file readable by others is warned about" \
  grep -q "warning: secret file \"$tmp/llm.key\" is readable by group or others" "$out/key-file-644.err"
chmod 600 "$tmp/llm.key"
run key-file-600 0 "$bin/briefos-generate" --user alice@example.com --date 2025-10-02 --dry-run \
  --llm-url "$llm/ok" --llm-model stub-1 --llm-api-key-file "$tmp/llm.key"
check "... and one only its owner reads is not" sh -c "! grep -q 'readable by' '$out/key-file-600.err'"
BRIEFOS_LLM_API_KEY="$llm_key"
printf 'database_url = "%s"\n' "$app_url" >"$tmp/briefos.toml"
chmod 644 "$tmp/briefos.toml"
BRIEFOS_DATABASE_URL=""
run config-644 0 "$bin/briefos-stats" --config "$tmp/briefos.toml" queue
check "a config file with a password, readable by others, is warned about" \
  grep -q "warning: config file \"$tmp/briefos.toml\" holds a credential (a password or token) and is readable by group or others" \
  "$out/config-644.err"
chmod 600 "$tmp/briefos.toml"
run config-600 0 "$bin/briefos-stats" --config "$tmp/briefos.toml" queue
check "... and not once only its owner reads it" sh -c "! grep -q 'readable by' '$out/config-600.err'"
BRIEFOS_DATABASE_URL="$app_url"

# --- no core dump holds a secret ----------------------------------------------------------
# A process that is not dumpable has its /proc/PID files owned by root. Seen
# from an unprivileged user (the test may run as root, who reads everything):
# a plain process's files are its own, a briefos worker's that loaded the
# SMTP password are root's.
nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
$nobody sleep 30 &
plain=$!
i=0
until [ "$(stat -c %u "/proc/$plain/status" 2>/dev/null)" = 65534 ]; do
  i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
done
check "control: an unprivileged process's /proc files are its own" test "$(stat -c %u "/proc/$plain/status")" = 65534
kill "$plain"
# The program and its library, where the unprivileged user can read them:
# a clone under a 0700 home (CI's /root) is out of its reach.
pub=$(mktemp -d /tmp/briefos-pub.XXXXXX)
chmod 755 "$pub"
cp "$bin/briefos-email" "$pub/"
cp "$(ldd "$bin/briefos-email" | awk '/libbriefos-core/ {print $3}')" "$pub/"
chmod 755 "$pub"/*
LD_LIBRARY_PATH="$pub" $nobody "$pub/briefos-email" --transport "$transport" $mailopts --poll-interval 100 \
  >"$out/dumpable.out" 2>"$out/dumpable.err" &
worker=$!
i=0
# Connected means its options and secrets are read: poll for its session.
until [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'briefos-email%'")" -gt 0 ] \
  || ! kill -0 "$worker" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || break; sleep 0.05
done
check "the worker runs, unprivileged" kill -0 "$worker"
check "a process holding the SMTP password is not dumpable" test "$(stat -c %u "/proc/$worker/status")" = 0
kill -TERM "$worker" 2>/dev/null || true
wait "$worker" 2>/dev/null || true

# --- everything the runs left behind ---------------------------------------------------
pg_dump --data-only "$admin" >"$out/pg_dump.sql"
q "SELECT id, status, result, error_message, errors FROM queue_jobs ORDER BY id" >"$out/queue_jobs.txt"
q "SELECT id, llm_status, generation_error, metadata FROM daily_briefs ORDER BY id" >"$out/daily_briefs.txt"
q "SELECT id, status, error_message FROM emails ORDER BY id" >"$out/emails.txt"
q "SELECT id, status, error_message FROM email_recipients ORDER BY id" >"$out/email_recipients.txt"
q "SELECT event_type, event_data FROM email_tracking_events ORDER BY id" >"$out/events.txt"
cp -r "$tmp/Maildir" "$out/Maildir"
mkdir -p "$out/smtp"
cp "$tmp/smtp"/msg-* "$out/smtp/"
check "the dumps hold the recorded failures (the search below is not vacuous)" \
  sh -c "grep -q 'check the user and BRIEFOS_SMTP_PASSWORD' '$out/email-wrong-password.err' \
         && grep -q 'HTTP 500' '$out/daily_briefs.txt' && grep -q 'llm_error' '$out/pg_dump.sql'"
check "the key a server quoted back is masked where it is recorded" \
  grep -q 'invalid credential: Bearer \[redacted\]' "$out/queue_jobs.txt"
check "the process table was sampled many times" test "$(grep -c 'briefos-' "$out/ps.txt")" -gt 10

# leaks DIR: list the files under DIR holding any secret.
leaks() {
  for n in $needles; do
    grep -rlF -e "$n" "$1" 2>/dev/null || true
  done | sort -u
}
mkdir -p "$tmp/control"
printf 'x %s y\n' "$(b64 '\0%s\0%s' "$smtp_user" "$smtp_pw")" >"$tmp/control/plain"
printf 'postgresql://briefos_app:%s@h/db\n' "$db_pw" >"$tmp/control/url"
check "the search finds secrets where they are (control)" test "$(leaks "$tmp/control" | wc -l)" -eq 2
leaks "$out" >"$tmp/leaks"
if [ -s "$tmp/leaks" ]; then
  not_ok "no output holds a secret"
  while read -r f; do
    echo "  | $f:"
    for n in $needles; do grep -nF -e "$n" "$f" | head -3 | sed 's/^/  |   /'; done
  done <"$tmp/leaks"
else
  ok "no output holds a secret ($(find "$out" -type f | wc -l) files searched)"
fi

finish
