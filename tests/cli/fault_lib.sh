# Helpers for the fault-injection and hostile-input tests
# (tests/cli/fault_*.test.sh, hostile_*.test.sh); sourced after lib.sh.
# POSIX sh.

py=/usr/bin/python3

# Commands run at exit, before lib.sh's own clean-up (servers, clusters).
_at_exit=""
at_exit() { _at_exit="$1; $_at_exit"; }
trap 'eval "$_at_exit"; cleanup_dbs; rm -rf "$tmp"' EXIT
# A signal ends the test through the EXIT trap.
trap 'exit 129' HUP INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# poll_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds;
# fail after SECONDS. This waits for a state, not for a duration.
poll_until() {
  _secs=$1; _limit=$(($(now_ms) + $1 * 1000)); shift
  until _out=$("$@" 2>&1); do
    if [ "$(now_ms)" -ge "$_limit" ]; then
      echo "timed out after $_secs s waiting for: $*${_out:+ (it said: $(printf '%s' "$_out" | head -c 300))}" >&2
      return 1
    fi
    sleep 0.1
  done
  [ -z "$_out" ] || printf '%s\n' "$_out"
}

# sql_true URL SQL: succeeds when SQL returns t.
sql_true() { [ "$($PSQL "$1" -XAtqc "$2" 2>/dev/null)" = "t" ]; }

# start_smtp DIR [SERVER]: start tests/cli/smtp_server.py (or SERVER) storing
# into DIR; sets smtp_port and smtp_pid, stopped at exit.
start_smtp() {
  _fifo="$tmp/smtp-port.$$.$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"
  mkfifo "$_fifo"
  $py "${2:-$src/tests/cli/smtp_server.py}" "$1" >"$_fifo" 2>>"$tmp/smtp.log" &
  smtp_pid=$!
  at_exit "kill $smtp_pid 2>/dev/null || true"
  read -r smtp_port <"$_fifo"
  rm -f "$_fifo"
}

# start_llm: start tests/cli/llm_stub.py; sets llm_base, llm_log.
start_llm() {
  llm_log="$tmp/llm.log"
  $py "$src/tests/cli/llm_stub.py" --port-file "$tmp/llm.port" --log "$llm_log" &
  _llm_pid=$!
  at_exit "kill $_llm_pid 2>/dev/null || true"
  poll_until 20 test -s "$tmp/llm.port"
  llm_base="http://127.0.0.1:$(cat "$tmp/llm.port")"
}

# own_cluster: a PostgreSQL cluster of this test alone (for tests that stop
# it; never the shared BRIEFOS_TEST_DATABASE_URL server). Sets own_dir and
# own_url; destroyed at exit.
own_cluster() {
  own_dir="$tmp/pg"
  own_url=$("$src/scripts/pg" start "$own_dir")
  at_exit "'$src/scripts/pg' destroy '$own_dir' >/dev/null 2>&1 || true"
}

# free_port: a loopback TCP port with nothing listening on it.
free_port() {
  $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# run_timed NAME COMMAND...: run COMMAND with stdout in $tmp/NAME.out and
# stderr in $tmp/NAME.err; sets rc and ms (wall clock).
run_timed() {
  _n=$1; shift
  _t0=$(now_ms)
  set +e
  "$@" >"$tmp/$_n.out" 2>"$tmp/$_n.err"
  rc=$?
  set -e
  ms=$(($(now_ms) - _t0))
}

# show FILE: indent FILE (at most 20 lines) under a failed check.
show() { sed 's/^/  | /' "$1" | head -20; }
