#!/bin/sh
# The files in examples/ work as documented.
#
# examples/briefos.toml
#   1. Every program reads the whole file (its active, shared part) without a
#      warning, in a real run against a database; the same file with one
#      bogus key added makes each program warn about that key (so the file
#      is really read).
#   2. Every long option of every program and subcommand (from --help) is
#      documented as a key: shared keys in the active part, the others in
#      the program's own commented-out block ("# ---- briefos-X ----",
#      settings written "#key = value", sections "#[sub]").
#   3. Each commented-out key, uncommented on its own (in its section), is
#      accepted by its program: no "unknown key", no invalid value.
# examples/systemd/*.service, *.timer
#   4. `systemd-analyze verify` passes without a word (ExecStart pointed at
#      the programs under test, the man pages of Documentation= on a MANPATH);
#      without systemd-analyze, a syntax check of our own.
# examples/crontab
#   5. Every line is an environment assignment or a job with five time
#      fields, a user and a command, and no command holds a bare %.
#   6. Every job, run by sh with the crontab's environment (the database,
#      transport and metrics directory pointed at throwaway ones), does its
#      work and prints nothing (so cron mails nothing): briefs built and
#      emailed, metrics written, old finished jobs pruned.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

py=/usr/bin/python3
ex="$src/examples"
toml="$ex/briefos.toml"
tools="briefos-migrate briefos-schedule briefos-generate briefos-email briefos-stats"
url=$(new_migrated_db examples)
unset BRIEFOS_CONFIG BRIEFOS_LOG_LEVEL BRIEFOS_LOG_FORMAT

# run_tool TOOL CONFIG [URL]: a short, harmless run of TOOL with --config
# CONFIG against the test database, or URL (flags beat the file's database_url).
run_tool() {
  _t=$1; _c=$2; _u=${3:-$url}
  case $_t in
    briefos-migrate) set -- status ;;
    briefos-schedule) set -- --dry-run ;;
    briefos-generate) set -- --drain ;;
    briefos-email) set -- --drain --transport "maildir:$tmp/cfg-maildir" ;;
    briefos-stats) set -- --tz UTC queue ;;
  esac
  timeout 60 "$bin/$_t" --database-url "$_u" --config "$_c" "$@" </dev/null
}

# --- 1. the whole file, every program --------------------------------------------------
cp "$toml" "$tmp/bogus.toml"
printf '\nbogus_setting = 1\n' >>"$tmp/bogus.toml"
for t in $tools; do
  set +e
  run_tool "$t" "$toml" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
  if [ "$rc" -eq 0 ] && ! grep -q 'warning\|error' "$tmp/err"; then
    ok "$t reads examples/briefos.toml without a warning"
  else
    not_ok "$t reads examples/briefos.toml without a warning (exit $rc)"; sed 's/^/  | /' "$tmp/err" | head -5
  fi
  set +e
  run_tool "$t" "$tmp/bogus.toml" >"$tmp/out" 2>"$tmp/err"
  set -e
  check "$t warns about a bogus key added to it" \
    grep -q "config file \"$tmp/bogus.toml\": unknown key \"bogus_setting\" ignored" "$tmp/err"
done

# --- 2 and 3. every option documented, every documented key accepted ------------------------
mkdir -p "$tmp/cfg"
for t in $tools; do
  "$bin/$t" --help >"$tmp/help.$t"
  # shellcheck disable=SC2013  # subcommand names are single words
  for sub in $(sed -n '/^Subcommands:/,$ s/^  \([a-z][a-z-]*\)  .*/\1/p' "$tmp/help.$t"); do
    "$bin/$t" "$sub" --help >"$tmp/help.$t.$sub"
  done
done
# shellcheck disable=SC2086  # $tools: one argument per program
if $py - "$toml" "$tmp" $tools >"$tmp/doc.log" 2>&1 <<'PY'
import glob, os, re, sys
toml, tmp, tools = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = open(toml).read().split("\n")
shared, blocks, current, section = [], {}, None, ""
for line in lines:
    m = re.match(r"^# ---- (briefos-[a-z]+) ----$", line)
    if m:
        current, section = m.group(1), ""
        blocks[current] = []
        continue
    if current is None:
        shared.append(line)
        continue
    m = re.match(r"^#\[([a-z]+)\]$", line)
    if m:
        section = m.group(1)
        continue
    m = re.match(r"^#([a-z_]+) = (.+)$", line)
    if m:
        blocks[current].append((section, m.group(1), m.group(2)))
    elif line.startswith("#") and not line.startswith("# ") and line != "#":
        sys.exit("unrecognised line in the %s block: %r" % (current, line))
shared_keys = set()
for line in shared:
    m = re.match(r"^([a-z_]+) = ", line)
    if m:
        shared_keys.add(m.group(1))
assert sorted(blocks) == sorted(tools), sorted(blocks)

def options(path):
    out = set()
    for line in open(path):
        m = re.match(r"^  (?:-[a-zA-Z],)?--([a-z][a-z-]*)", line)
        if m and m.group(1) not in ("help", "version", "config"):
            out.add(m.group(1).replace("-", "_"))
    return out

problems = []
n = 0
for tool in tools:
    want = {("", o) for o in options(os.path.join(tmp, "help." + tool))}
    for path in glob.glob(os.path.join(tmp, "help.%s.*" % tool)):
        sub = path.rsplit(".", 1)[1]
        want |= {(sub, o) for o in options(path)}
    have = {("", k) for k in shared_keys} | {(s, k) for s, k, _ in blocks[tool]}
    for s, k in sorted(want - have):
        problems.append("%s: option --%s%s is not documented in examples/briefos.toml"
                        % (tool, k.replace("_", "-"), " of " + s if s else ""))
    for s, k in sorted(have - want):
        problems.append("%s: key %s%s is not an option of the program" % (tool, s + "." if s else "", k))
    # One config file per documented key: the shared part plus that key.
    for s, k, v in blocks[tool]:
        n += 1
        name = os.path.join(tmp, "cfg", "%s.%03d.toml" % (tool, n))
        with open(name, "w") as f:
            f.write("\n".join(shared) + "\n" + ("[%s]\n" % s if s else "") + "%s = %s\n" % (k, v))
        with open(os.path.join(tmp, "cfg", "list"), "a") as f:
            f.write("%s %s %s%s\n" % (tool, name, s + "." if s else "", k))
for p in problems:
    print(p)
print("%d keys in %d program blocks, %d shared" % (n, len(blocks), len(shared_keys)))
sys.exit(1 if problems else 0)
PY
then ok "every option of every program is documented in examples/briefos.toml ($(tail -n 1 "$tmp/doc.log"))"
else not_ok "examples/briefos.toml documents exactly the programs' options"; sed 's/^/  | /' "$tmp/doc.log"; fi

# The file is read before any connection: a closed port keeps these quick.
nodb="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
bad=0
total=0
while read -r t cfg key; do
  total=$((total + 1))
  set +e
  run_tool "$t" "$cfg" "$nodb" >/dev/null 2>"$tmp/err"
  rc=$?
  set -e
  # Whatever the key makes the run do (a backfill of an example user, a file
  # that does not exist here), the file itself must be fine.
  if grep -q 'config file' "$tmp/err" || [ "$rc" -eq 124 ]; then
    bad=$((bad + 1)); echo "  | $t, key $key (exit $rc):"; sed 's/^/  |   /' "$tmp/err" | head -3
  fi
done <"$tmp/cfg/list"
check "each of the $total commented-out keys is accepted by its program" test "$total" -gt 0 -a "$bad" -eq 0

# --- 4. systemd units ------------------------------------------------------------------------
units="$tmp/units"
mkdir -p "$units" "$tmp/man/man1" "$tmp/man/man7"
cp "$ex"/systemd/*.service "$ex"/systemd/*.timer "$units"/
cp "$src"/man/*.1 "$tmp/man/man1/"
cp "$src"/man/*.7 "$tmp/man/man7/"
sed -i "s#/usr/local/bin/#$bin/#g" "$units"/*.service
check "the examples have a schedule timer and generate/email services" \
  test -f "$units/briefos-schedule.timer" -a -f "$units/briefos-schedule.service" \
       -a -f "$units/briefos-generate.service" -a -f "$units/briefos-email.service"
for s in generate email; do
  check "briefos-$s.service is a long-running worker that restarts" \
    sh -c "grep -q '^Type=simple' '$units/briefos-$s.service' && grep -q '^Restart=always' '$units/briefos-$s.service' \
           && ! grep -q -- '--drain\|--once' '$units/briefos-$s.service'"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  set +e
  (cd "$units" && MANPATH="$tmp/man" systemd-analyze verify ./*.service ./*.timer) >"$tmp/verify" 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/verify" ]; then ok "systemd-analyze verify passes on every unit, silently"
  else not_ok "systemd-analyze verify (exit $rc)"; sed 's/^/  | /' "$tmp/verify" | head -20; fi
else
  # Our own check: sections and Key=value lines only, known sections.
  if awk '/^[[:space:]]*(#|$)/ { next }
          /^\[(Unit|Service|Timer|Install)\]$/ { next }
          /^[A-Za-z]+=/ { next }
          { print FILENAME ": " FNR ": " $0; bad = 1 } END { exit bad }' "$units"/* >"$tmp/verify"
  then ok "every unit line is a section, a Key=value or a comment (no systemd-analyze here)"
  else not_ok "unit syntax"; sed 's/^/  | /' "$tmp/verify"; fi
fi
for timer in "$units"/*.timer; do
  svc=$(basename "$timer" .timer).service
  check "$(basename "$timer") has its service and a schedule" \
    sh -c "test -f '$units/$svc' && grep -q '^OnCalendar=' '$timer'"
done

# --- 5 and 6. the crontab --------------------------------------------------------------------
cron="$ex/crontab"
if awk '/^[[:space:]]*(#|$)/ { next }
        /^[A-Z_]+=/ { next }
        NF >= 7 && $1 ~ /^[0-9*\/,-]+$/ && $2 ~ /^[0-9*\/,-]+$/ && $3 ~ /^[0-9*\/,-]+$/ \
          && $4 ~ /^[0-9*\/,-]+$/ && $5 ~ /^[0-9*\/,-]+$/ && $6 ~ /^[a-z_][a-z0-9_-]*$/ \
          && $0 !~ /[^\\]%/ { next }
        { print FNR ": " $0; bad = 1 } END { exit bad }' "$cron" >"$tmp/cron.bad"
then ok "every crontab line is a comment, an assignment or a job line without a bare %"
else not_ok "crontab syntax"; sed 's/^/  | /' "$tmp/cron.bad"; fi

# The demo users, every one due a minute from now; and queue history to
# prune: finished jobs of 40 days ago (gone after the prune) and of 10 days
# ago (kept), and an old pending job (kept: only finished jobs are pruned).
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 -f "$src/scripts/demo-seed.sql" >/dev/null
$PSQL "$url" -Xq -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
INSERT INTO queue_jobs (job_type, status, metadata, completed_at, created_at)
SELECT 'generate_daily_brief', s::queue_status, '{}', now() - (age || ' days')::interval, now() - (age || ' days')::interval
  FROM (VALUES ('completed', 40), ('failed', 40), ('cancelled', 40), ('completed', 10)) v(s, age),
       generate_series(1, 3);
INSERT INTO queue_jobs (job_type, status, metadata, scheduled_for, created_at)
VALUES ('generate_daily_brief', 'pending', '{"userId": "none"}', now() + interval '1 year', now() - interval '40 days');
SQL
mailable=$($PSQL "$url" -XAtc "SELECT count(*) FROM user_brief_preferences p WHERE p.is_active AND p.email_daily_brief
             AND EXISTS (SELECT 1 FROM projects j WHERE j.user_id = p.user_id AND j.status = 'active')")
due=$($PSQL "$url" -XAtc "SELECT count(*) FROM user_brief_preferences WHERE is_active")

# The crontab's environment, then the test's own settings over it.
grep -E '^[A-Z_]+=' "$cron" | sed 's/^/export /' >"$tmp/cron.env"
cat >>"$tmp/cron.env" <<EOF
export BRIEFOS_CONFIG='$toml'
export BRIEFOS_DATABASE_URL='$url'
export BRIEFOS_EMAIL_TRANSPORT='maildir:$tmp/cron-maildir'
unset BRIEFOS_SMTP_PASSWORD_FILE
export TEXTFILE_DIR='$tmp/textfile'
export BOUNCE_MAILDIR='$tmp/bounce-maildir'
export PATH='$bin':\$PATH
EOF
mkdir -p "$tmp/textfile" "$tmp/bounce-maildir/new" "$tmp/bounce-maildir/cur" "$tmp/bounce-maildir/tmp"
grep -E '^[0-9*]' "$cron" | cut -d' ' -f1-5 --complement | sed -E 's/^ *briefos +//' >"$tmp/cron.jobs"
check "the crontab has its five jobs" test "$(wc -l <"$tmp/cron.jobs")" -eq 5
i=0
while IFS= read -r job; do
  i=$((i + 1))
  printf '. "%s"\n%s\n' "$tmp/cron.env" "$job" >"$tmp/job.$i.sh"
  set +e
  sh "$tmp/job.$i.sh" >"$tmp/job.$i.out" 2>&1 </dev/null
  rc=$?
  set -e
  if [ "$rc" -eq 0 ] && [ ! -s "$tmp/job.$i.out" ]; then ok "crontab job $i runs and prints nothing"
  else not_ok "crontab job $i runs and prints nothing (exit $rc)"; sed 's/^/  | /' "$tmp/job.$i.out" | head -10; fi
done <"$tmp/cron.jobs"
check "the 5-minute job built every due brief" \
  test "$($PSQL "$url" -XAtc "SELECT count(*) FROM daily_briefs WHERE generation_status = 'completed'")" -eq "$due"
check "the 5-minute job delivered every brief email to the transport" \
  test "$(find "$tmp/cron-maildir/new" -type f | wc -l)" -eq "$mailable"
check "the metrics job wrote the queue and health metrics" \
  sh -c "grep -q '^briefos_queue_jobs{' '$tmp/textfile/briefos_queue.prom' && grep -q '^briefos_health_ok ' '$tmp/textfile/briefos_health.prom'"
check "the prune job deleted the finished jobs older than 30 days, and only those" \
  test "$($PSQL "$url" -XAtc "SELECT count(*) FILTER (WHERE created_at < now() - interval '30 days' AND status <> 'pending')
                                || ' ' || count(*) FILTER (WHERE created_at < now() - interval '5 days')
                              FROM queue_jobs")" = "0 4"

finish
