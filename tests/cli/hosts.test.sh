#!/bin/sh
# Several worker hosts share one PostgreSQL over TCP, and one of them loses
# its network in the middle of a drain.
#
# scripts/netns makes a little network of namespaces: PostgreSQL, the SMTP
# sinks and the LLM stub in PREFIX-db (10.77.0.1), three worker hosts
# PREFIX-h1..h3 (10.77.0.11-13, each with its own host name, so a job's
# locked_by says which host holds it), all joined by a bridge. Every program
# connects over TCP as a LOGIN role with a SCRAM password (read from a
# pgpass file, never from argv), with client-side keepalives and
# tcp_user_timeout (a libpq service file) so a host that loses its link
# notices within seconds.
#
# Round one: users seeded (tests/cli/fault_seed.sql) and made due, one
# briefos-schedule sweep from h1, then briefos-generate --drain and a
# long-running briefos-email on all three hosts at once. Each brief and
# each email exactly once: in the database and in the SMTP sink (one
# message per email, no Message-ID twice, the sink's Message-IDs exactly the
# stored ones), and every host did part of the work.
#
# Round two: long-running generate (a slow LLM) and email (a slow SMTP sink)
# workers on all three hosts with a 5 s lease; once h1 holds both brief and
# email jobs its link is cut at the bridge. h1's workers must notice and
# exit 3; its leased jobs must be rescued (lease expired) and done by h2 and
# h3; each brief and email still exactly once in the database. A running
# worker rescues expired leases every 30 s (worker.cpp), so the rescue
# comes about 30 s after the survivors started, whatever the lease. An email the
# sink accepted but whose 250 reply h1 never got is the documented
# duplicate window (resent by a survivor with the same Message-ID): the
# test counts and prints those, and each must be one h1 held at the cut.
#
# Must run as root (CI does); fails, never skips, when it cannot make the
# namespaces. Needs no BRIEFOS_TEST_DATABASE_URL: the cluster is its own.
# Environment: HOSTS_USERS (300, round one), HOSTS_CUT_USERS (200).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
. "$src/tests/cli/fault_lib.sh"

n1=${HOSTS_USERS:-300}
n2=${HOSTS_CUT_USERS:-200}
lease=5
netns="$src/scripts/netns"
prefix="bh$$"
hosts="h1 h2 h3"
today=$(date -u +%F)
common="--base-url https://app.example.com --message-id-domain example.com"

# --- the network ------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  echo "not ok - hosts.test.sh must run as root: it makes network namespaces (CI runs as root)"
  exit 1
fi
at_exit "'$netns' destroy '$prefix' >/dev/null 2>&1 || true"
if ! "$netns" create "$prefix" >"$tmp/netns.out" 2>&1; then
  echo "not ok - cannot create the network namespaces this test needs (scripts/netns create, as root):"
  show "$tmp/netns.out"
  exit 1
fi
ok "network: $prefix-db at 10.77.0.1, hosts $hosts at 10.77.0.11-13, one bridge"

# on HOST COMMAND...: run COMMAND on HOST (its namespace, its host name).
# shellcheck disable=SC2016
named='hostname "$0" && exec "$@"'
on() {
  _h=$1; shift
  ip netns exec "$prefix-$_h" unshare --uts /bin/sh -c "$named" "$_h" "$@"
}
# spawn OUT HOST COMMAND...: run COMMAND on HOST in the background, stdout
# in OUT, stderr in OUT.err; $! is COMMAND's own pid (each step execs the
# next), so a signal reaches the program itself.
spawn() {
  _o=$1; _h=$2; shift 2
  ip netns exec "$prefix-$_h" unshare --uts /bin/sh -c "$named" "$_h" "$@" >"$_o" 2>"$_o.err" &
}
# in_db COMMAND...: run COMMAND in the database's namespace.
in_db() { ip netns exec "$prefix-db" "$@"; }

# --- PostgreSQL in the database's namespace, listening on 10.77.0.1 ----------------------
# Server-side keepalives and tcp_user_timeout: the session of a host that
# vanished mid-transaction ends within seconds and lets go of its row locks.
pgdir="$tmp/pg"
at_exit "'$src/scripts/pg' destroy '$pgdir' >/dev/null 2>&1 || true"
admin=$(PG_SETTINGS="-c listen_addresses=127.0.0.1,10.77.0.1 -c tcp_keepalives_idle=2 \
  -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3 -c tcp_user_timeout=5000" \
  in_db "$src/scripts/pg" start "$pgdir")
# shellcheck disable=SC1091
. "$pgdir/pg.env"
echo "host all briefos_net 10.77.0.0/24 scram-sha-256" >>"$DATADIR/pg_hba.conf"
BRIEFOS_TEST_DATABASE_URL=$admin
pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
# The password goes through stdin and a 0600 pgpass file, never argv.
$PSQL "$admin" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
SET password_encryption = 'scram-sha-256';
CREATE ROLE briefos_net LOGIN PASSWORD '$pw';
CREATE DATABASE one OWNER briefos_net;
CREATE DATABASE cut OWNER briefos_net;
SELECT pg_reload_conf();
SQL
umask 077
printf '10.77.0.1:%s:*:briefos_net:%s\n' "$PORT" "$pw" >"$tmp/pgpass"
umask 022
export PGPASSFILE="$tmp/pgpass"
# Client-side keepalives and tcp_user_timeout, for every program at once,
# through a libpq service file: a host whose link is gone notices within
# seconds instead of the kernel's quarter of an hour.
cat >"$tmp/pg_service.conf" <<EOF
[briefos_hosts]
sslmode=disable
connect_timeout=5
keepalives_idle=2
keepalives_interval=1
keepalives_count=2
tcp_user_timeout=5000
EOF
export PGSERVICEFILE="$tmp/pg_service.conf" PGSERVICE=briefos_hosts
u1="postgresql://briefos_net@10.77.0.1:$PORT/one"
u2="postgresql://briefos_net@10.77.0.1:$PORT/cut"
a1=$(url_for one)
a2=$(url_for cut)
sql1() { $PSQL "$a1" -XAtqc "$1"; }
sql2() { $PSQL "$a2" -XAtqc "$1"; }

reach() { on "$1" $PSQL "$2" -XAtqc "SELECT 1" >/dev/null 2>&1; }
for h in $hosts; do
  check "$h reaches PostgreSQL at 10.77.0.1:$PORT over TCP with a SCRAM password" reach "$h" "$u1"
done
refused() { ! PGPASSFILE=/dev/null on h2 $PSQL -w "$u1" -XAtqc "SELECT 1" >/dev/null 2>&1; }
check "without the password h2 is refused" refused

# --- the SMTP sinks and the LLM stub, also at 10.77.0.1 ------------------------------------
# sink DIR PORT: tests/cli/smtp_server.py on 10.77.0.1:PORT; returns once it listens.
sink() {
  mkfifo "$tmp/sink.fifo"
  SMTP_PORT=$2 in_db $py "$src/tests/cli/hosts_bind.py" 10.77.0.1 "$src/tests/cli/smtp_server.py" "$1" \
    >"$tmp/sink.fifo" 2>>"$tmp/smtp.log" &
  at_exit "kill $! 2>/dev/null || true"
  read -r _port <"$tmp/sink.fifo"
  rm -f "$tmp/sink.fifo"
}
sink "$tmp/sink1" 2525
sink "$tmp/sink2" 2526
in_db $py "$src/tests/cli/hosts_bind.py" 10.77.0.1 "$src/tests/cli/llm_stub.py" \
  --port-file "$tmp/llm.port" --log "$tmp/llm.log" &
at_exit "kill $! 2>/dev/null || true"
poll_until 20 test -s "$tmp/llm.port"
llm="http://10.77.0.1:$(cat "$tmp/llm.port")"

# --- shared checks ------------------------------------------------------------------------
# exactly_once SQL N SINK ROUND: one completed brief per user, one job per
# user, one sent email per brief, one email job per email, nothing else
# queued, one 'sent' event per email; in SINK every stored email at least
# once and Message-IDs otherwise unique. Sets dups (messages the sink holds
# more than once) and leaves them in $tmp/dups.ROUND.
exactly_once() {
  _sql=$1; _n=$2; _sink=$3; _r=$4
  check "$_r: one completed brief per user" \
    test "$($_sql "SELECT count(DISTINCT user_id) || ' ' || count(*) FROM daily_briefs WHERE generation_status = 'completed'")" = "$_n $_n"
  check "$_r: one completed brief job per user" \
    test "$($_sql "SELECT count(DISTINCT user_id) || ' ' || count(*) FROM queue_jobs
                     WHERE job_type = 'generate_daily_brief' AND status = 'completed'")" = "$_n $_n"
  check "$_r: one sent email per brief" \
    test "$($_sql "SELECT count(DISTINCT e.template_data->>'brief_id') || ' ' || count(*) FROM emails e
                     JOIN daily_briefs b ON b.id::text = e.template_data->>'brief_id'
                     WHERE e.status = 'sent' AND e.created_by = b.user_id")" = "$_n $_n"
  check "$_r: one completed email job per email" \
    test "$($_sql "SELECT count(DISTINCT metadata->>'emailId') || ' ' || count(*) FROM queue_jobs
                     WHERE job_type = 'generate_brief_email' AND status = 'completed'")" = "$_n $_n"
  check "$_r: nothing else in the queue" test "$($_sql "SELECT count(*) FROM queue_jobs")" -eq $((2 * _n))
  check "$_r: one 'sent' tracking event per email" \
    test "$($_sql "SELECT count(DISTINCT email_id) || ' ' || count(*) FROM email_tracking_events WHERE event_type = 'sent'")" = "$_n $_n"
  cat "$_sink"/msg-*.eml 2>/dev/null | grep -i '^Message-ID:' | tr -d '\r' | tr '[:upper:]' '[:lower:]' \
    | sed 's/^message-id: *//' | sort >"$tmp/mids.$_r"
  $_sql "SELECT lower('<' || message_id || '>') FROM emails" | sort >"$tmp/db_mids.$_r"
  sort -u "$tmp/mids.$_r" >"$tmp/umids.$_r"
  check "$_r: the sink holds every stored email's Message-ID and no other" \
    cmp -s "$tmp/db_mids.$_r" "$tmp/umids.$_r"
  uniq -d "$tmp/mids.$_r" >"$tmp/dups.$_r"
  dups=$(($(wc -l <"$tmp/mids.$_r") - $(wc -l <"$tmp/umids.$_r")))
}

# per_host ROUND: jobs done per host, from the programs' JSON lines.
per_host() {
  _line=""
  for h in $hosts; do
    _g=$(grep -c '"status":"completed"' "$tmp/$1.gen.$h" || true)
    _e=$(grep -c '"status":"sent"' "$tmp/$1.email.$h" || true)
    _line="$_line $h: $_g briefs, $_e emails;"
    eval "done_gen_$h=$_g done_email_$h=$_e"
  done
  echo "# $1 per host:$_line"
}

# --- round one: three hosts, every brief and email once -------------------------------------
expect_status 0 "round one: briefos-migrate up from h1 over TCP" on h1 "$bin/briefos-migrate" --database-url "$u1" -q up
$PSQL "$a1" -Xq -v ON_ERROR_STOP=1 -v prefix=a -v count="$n1" -v date="$today" -v max_attempts=3 \
  -f "$src/tests/cli/fault_seed.sql" >/dev/null
# The seed queues its jobs itself: drop them and let the sweep queue them,
# every user due a minute from now.
sql1 "DELETE FROM queue_jobs; UPDATE user_brief_preferences SET frequency = 'daily', is_active = true,
        time_of_day = date_trunc('minute', (now() AT TIME ZONE 'UTC') + interval '1 minute')::time" >/dev/null
expect_status 0 "round one: one briefos-schedule sweep from h1" on h1 "$bin/briefos-schedule" --database-url "$u1" -q --json
check "round one: the sweep queued $n1 jobs" test "$(wc -l <"$tmp/out")" -eq "$n1"

t0=$(now_ms)
pids_email=""
pids_gen=""
for h in $hosts; do
  spawn "$tmp/one.email.$h" "$h" "$bin/briefos-email" --database-url "$u1" -q --json \
    --transport smtp://10.77.0.1:2525 $common --concurrency 2 --poll-interval 200
  pids_email="$pids_email $!"
done
for h in $hosts; do
  spawn "$tmp/one.gen.$h" "$h" "$bin/briefos-generate" --database-url "$u1" -q --json --drain --concurrency 2 --email-empty
  pids_gen="$pids_gen $!"
done
at_exit "for p in $pids_email $pids_gen; do kill -9 \$p 2>/dev/null || true; done"
set -- $hosts
for p in $pids_gen; do
  if wait "$p"; then ok "round one: generate on $1 exits 0"; else not_ok "round one: generate on $1 exits 0"; show "$tmp/one.gen.$1.err"; fi
  shift
done
poll_until 60 sql_true "$a1" "SELECT count(*) = $n1 FROM emails WHERE status = 'sent'" \
  || not_ok "round one: all $n1 emails sent within 60 s"
one_ms=$(($(now_ms) - t0))
for p in $pids_email; do kill -TERM "$p" 2>/dev/null || true; done
set -- $hosts
for p in $pids_email; do
  if wait "$p"; then ok "round one: email on $1 exits 0 on SIGTERM"; else not_ok "round one: email on $1 exits 0 on SIGTERM (exit $?)"; show "$tmp/one.email.$1.err"; fi
  shift
done
exactly_once sql1 "$n1" "$tmp/sink1" "round one"
check "round one: no message twice in the sink" test "$dups" -eq 0
per_host one
for h in $hosts; do
  eval "_g=\$done_gen_$h _e=\$done_email_$h"
  check "round one: $h generated and sent part of the work" test "$_g" -gt 0 -a "$_e" -gt 0
done
echo "# round one: $n1 briefs and $n1 emails over three hosts in $one_ms ms"

# --- round two: h1 loses its link while it holds leases ---------------------------------
expect_status 0 "round two: briefos-migrate up from h2 over TCP" on h2 "$bin/briefos-migrate" --database-url "$u2" -q up
$PSQL "$a2" -Xq -v ON_ERROR_STOP=1 -v prefix=c -v count="$n2" -v date="$today" -v max_attempts=3 \
  -f "$src/tests/cli/fault_seed.sql" >/dev/null
# Each message waits 150 ms before the sink's reply, each analysis 300 ms:
# the hosts hold their jobs long enough for the cut to find some.
printf 'slow:150' >"$tmp/sink2/script"
slow="--lease $lease --poll-interval 200 --concurrency 2 --batch 2"
t0=$(now_ms)
pids=""
for h in $hosts; do
  spawn "$tmp/cut.gen.$h" "$h" "$bin/briefos-generate" --database-url "$u2" -q --json $slow --email-empty \
    --llm-url "$llm/slow/300" --llm-model stub --llm-timeout 10 --allow-insecure-http
  pids="$pids $!"
  eval "gen_$h=$!"
  spawn "$tmp/cut.email.$h" "$h" "$bin/briefos-email" --database-url "$u2" -q --json $slow \
    --transport smtp://10.77.0.1:2526 $common --connect-timeout 3 --command-timeout 5 --timeout 5
  pids="$pids $!"
  eval "email_$h=$!"
done
at_exit "for p in $pids; do kill -9 \$p 2>/dev/null || true; done"

held_by_h1="SELECT count(*) FILTER (WHERE job_type = 'generate_daily_brief') > 0
                AND count(*) FILTER (WHERE job_type = 'generate_brief_email') > 0
              FROM queue_jobs WHERE status = 'processing' AND locked_by LIKE 'h1:%'"
if ! poll_until 30 sql_true "$a2" "$held_by_h1"; then
  not_ok "round two: h1 holds brief and email jobs at once; jobs: $(sql2 "SELECT string_agg(job_type || ':' || status || ':' || coalesce(split_part(locked_by, ':', 1), '-') || '=' || n, ' ')
    FROM (SELECT job_type, status, locked_by, count(*) n FROM queue_jobs GROUP BY 1, 2, 3) s")"
  for f in "$tmp"/cut.*.err; do echo "# $f"; show "$f"; done
  finish; exit 1
fi
"$netns" cut "$prefix" h1
t_cut=$(now_ms)
cut_at=$(sql2 "SELECT now()")
sql2 "SELECT id FROM queue_jobs WHERE status = 'processing' AND locked_by LIKE 'h1:%' ORDER BY id" >"$tmp/held"
sql2 "SELECT metadata->>'emailId' FROM queue_jobs WHERE status = 'processing' AND locked_by LIKE 'h1:%'
        AND job_type = 'generate_brief_email'" >"$tmp/held_emails"
held=$(wc -l <"$tmp/held")
held_g=$(sql2 "SELECT count(*) FROM queue_jobs WHERE id IN ($(paste -sd, "$tmp/held")) AND job_type = 'generate_daily_brief'")
done_at_cut=$(sql2 "SELECT count(*) FROM queue_jobs WHERE status = 'completed'")
# When h1's programs exit, by the test's clock (polled, bounded by 90 s).
for w in gen email; do
  eval "_p=\$${w}_h1"
  (_n=0; while kill -0 "$_p" 2>/dev/null && [ "$_n" -lt 900 ]; do _n=$((_n + 1)); sleep 0.1; done
   echo $(($(now_ms) - t_cut)) >"$tmp/exit_ms.$w") &
done
ok "round two: h1's link cut at the bridge $((t_cut - t0)) ms in, holding $held jobs ($held_g briefs, $((held - held_g)) emails; $done_at_cut of $((2 * n2)) jobs done)"

# Every job h1 held is done by another host (after its lease expires and a
# survivor rescues it), then all the rest.
if poll_until 60 sql_true "$a2" "SELECT bool_and(status = 'completed') FROM queue_jobs WHERE id IN ($(paste -sd, "$tmp/held"))"; then
  rescue_ms=$(($(now_ms) - t_cut))
  ok "round two: the $held jobs h1 held are done by the others $rescue_ms ms after the cut"
else
  rescue_ms=-1
  not_ok "round two: h1's jobs not done 60 s after the cut: $(sql2 "SELECT string_agg(status || ':' || coalesce(locked_by, '-'), ' ') FROM queue_jobs WHERE id IN ($(paste -sd, "$tmp/held"))")"
fi
poll_until 60 sql_true "$a2" "SELECT count(*) = $n2 FROM emails WHERE status = 'sent'
                               AND (SELECT bool_and(status = 'completed') FROM queue_jobs)" \
  || not_ok "round two: all $n2 emails sent within 60 s"
cut_ms=$(($(now_ms) - t0))
# h1's programs lose the database (keepalives, tcp_user_timeout; the mailer
# first waits out its SMTP --command-timeout) and stop: the documented exit
# 3, their jobs left to their leases. That takes about 10 s, about as long
# as the rescue by the others (the rescue timer follows the 5 s lease), so
# wait for it, with a bound: 30 s after the cut.
gone() { ! kill -0 "$1" 2>/dev/null; }
for w in gen email; do
  eval "_p=\$${w}_h1"
  _left=$((30 - ($(now_ms) - t_cut) / 1000))
  [ "$_left" -gt 0 ] || _left=1
  if ! poll_until "$_left" gone "$_p"; then
    not_ok "round two: $w on h1 still running $(( ($(now_ms) - t_cut) / 1000 )) s after the cut"
    show "$tmp/cut.$w.h1.err"
    kill -9 "$_p" 2>/dev/null || true
    wait "$_p" 2>/dev/null || true
  else
    set +e; wait "$_p"; _rc=$?; set -e
    check "round two: $w on h1 noticed the cut and exited 3 (exit $_rc, $(cat "$tmp/exit_ms.$w" 2>/dev/null || echo '?') ms after the cut)" \
      test "$_rc" -eq 3
  fi
done
for h in h2 h3; do
  for w in gen email; do
    eval "_p=\$${w}_$h"
    kill -TERM "$_p" 2>/dev/null || true
    if wait "$_p"; then ok "round two: $w on $h exits 0 on SIGTERM"; else not_ok "round two: $w on $h exits 0 on SIGTERM"; show "$tmp/cut.$w.$h.err"; fi
  done
done

check "round two: every job h1 held was rescued from an expired lease of h1 and run again" \
  test "$(sql2 "SELECT count(*) FROM queue_jobs WHERE id IN ($(paste -sd, "$tmp/held")) AND attempts = 2
                  AND errors::text LIKE '%lease expired: worker h1:%'")" -eq "$held"
check "round two: every other job ran once" \
  test "$(sql2 "SELECT count(*) FROM queue_jobs WHERE id NOT IN ($(paste -sd, "$tmp/held")) AND attempts = 1")" -eq $((2 * n2 - held))
missing=0
for id in $(cat "$tmp/held"); do
  grep -h "\"job_id\":$id," "$tmp"/cut.gen.h2 "$tmp"/cut.gen.h3 "$tmp"/cut.email.h2 "$tmp"/cut.email.h3 \
    | grep -qE '"status":"(completed|sent)"' || missing=$((missing + 1))
done
check "round two: h2 and h3 report every job h1 held as done ($missing not)" test "$missing" -eq 0
exactly_once sql2 "$n2" "$tmp/sink2" "round two"
bad=0
for mid in $(cat "$tmp/dups.round two"); do
  _e=$(sql2 "SELECT id FROM emails WHERE lower('<' || message_id || '>') = '$mid'")
  grep -qx "$_e" "$tmp/held_emails" || bad=$((bad + 1))
done
check "round two: each message the sink holds twice is an email h1 held at the cut ($dups twice, $bad not held)" \
  test "$bad" -eq 0
per_host cut
# When the leases were rescued and the jobs done, by the database's clock.
rescue=$(sql2 "SELECT round(1000 * extract(epoch FROM min((e->>'at')::timestamptz) - '$cut_at'::timestamptz)) || ' '
                   || round(1000 * extract(epoch FROM max((e->>'at')::timestamptz) - '$cut_at'::timestamptz)) || ' '
                   || round(1000 * extract(epoch FROM max(q.completed_at) - '$cut_at'::timestamptz))
                 FROM queue_jobs q, jsonb_array_elements(q.errors) e
                WHERE q.id IN ($(paste -sd, "$tmp/held")) AND e->>'error' LIKE 'lease expired: worker h1:%'")
echo "# round two: leases of h1 rescued $(echo "$rescue" | cut -d' ' -f1)-$(echo "$rescue" | cut -d' ' -f2) ms after the cut, its jobs done $(echo "$rescue" | cut -d' ' -f3) ms after it"
echo "# round two: $n2 briefs and $n2 emails in $cut_ms ms; h1 cut holding $held jobs; rescued and done $rescue_ms ms after the cut (lease $lease s); duplicate window: $dups message(s) delivered twice, same Message-ID"

finish
