#!/bin/sh
# The shared front end as an operator meets it, through the real programs:
# config files parsed as TOML (syntax errors with file, line and column;
# misspelled sections and keys warned about with a suggestion; typed
# values), value errors naming the environment variable or the file and key
# that set them, a malformed database URL exiting 2 (not 3, which systemd
# restarts on), --log-format json making every stderr line JSON, summaries
# included, and the README's migration listings matching sql/.
. "$(dirname "$0")/lib.sh"
need_db

M="$bin/briefos-migrate"
has() { if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3"; sed 's/^/  | /' "$1" | head -20; fi; }
lacks() { if grep -qF -- "$2" "$1"; then not_ok "$3"; sed 's/^/  | /' "$1" | head -20; else ok "$3"; fi; }
# all_json FILE DESCRIPTION: every line of FILE is a JSON object.
all_json() {
  if python3 -c 'import json,sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no lines"
for l in lines: assert isinstance(json.loads(l), dict), l' "$1" 2>"$tmp/why"; then ok "$2"; else
    not_ok "$2"; sed 's/^/  | /' "$1" "$tmp/why" | head -20; fi
}
NODB="postgresql://nobody@127.0.0.1:1/briefs"
mkdir -p "$tmp/set"
cp "$src"/sql/*.sql "$tmp/set/"

# ---------------------------------------------------------------------------
echo "# config files are TOML"
printf 'lock_timeout = 5\ndatabase_url = "x\n' >"$tmp/unterminated.toml"
expect_status 2 "an unterminated string exits 2" "$M" --config "$tmp/unterminated.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "could not parse config file \"$tmp/unterminated.toml\", line 2, column" "naming the file, line and column"
printf '[briefos-migrate\nlock_timeout = 5\n' >"$tmp/header.toml"
expect_status 2 "an unclosed section header exits 2" "$M" --config "$tmp/header.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "\"$tmp/header.toml\", line 1" "naming its line"
printf 'lock_timeout = 5\nthis is not toml\n' >"$tmp/prose.toml"
expect_status 2 "a line of prose exits 2" "$M" --config "$tmp/prose.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "\"$tmp/prose.toml\", line 2" "naming its line"

printf 'lock_timeout = 5\n\n[briefos-emial]\ntransport = "smtp://relay"\n' >"$tmp/misspelled.toml"
expect_status 0 "a misspelled section is not fatal" "$M" --config "$tmp/misspelled.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "line 3: unknown section [briefos-emial] ignored (did you mean [briefos-email]?)" \
  "it is warned about, with the line and a suggestion"
printf '[briefos-migrate]\nlock_timout = 5\n' >"$tmp/key.toml"
expect_status 0 "a misspelled key is not fatal" "$M" --config "$tmp/key.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "line 2: unknown key \"briefos-migrate.lock_timout\" ignored (did you mean \"lock_timeout\"?)" \
  "it is warned about, with the line and a suggestion"
printf '[briefos-migrate]\nlock_timeout = "soon"\n' >"$tmp/type.toml"
expect_status 2 "a value the option refuses exits 2" "$M" --config "$tmp/type.toml" --dir "$tmp/set" -n new x
has "$tmp/err" "\"briefos-migrate.lock_timeout\" in config file \"$tmp/type.toml\", line 2" "naming the file, line and key"
printf 'dry_run = "yes"\n' >"$tmp/flag.toml"
expect_status 2 "a string for a flag exits 2" "$M" --config "$tmp/flag.toml" --dir "$tmp/set" new x
has "$tmp/err" "expected a boolean (true or false), not a string" "saying what was expected"

# ---------------------------------------------------------------------------
echo "# errors name where a value came from"
expect_status 2 "a bad rate from the environment exits 2" \
  env BRIEFOS_EMAIL_RATE=fast "$bin/briefos-email" --database-url "$NODB" --transport "maildir:$tmp/md"
has "$tmp/err" "for option --rate (set by environment variable BRIEFOS_EMAIL_RATE)" "naming the variable"
expect_status 2 "a bad rate is refused in a dry run too" \
  env BRIEFOS_EMAIL_RATE=fast "$bin/briefos-email" --database-url "$NODB" --dry-run
has "$tmp/err" "for option --rate (set by environment variable BRIEFOS_EMAIL_RATE)" "naming the variable"

echo "# a placeholder sender is refused when mail leaves the machine"
unset BRIEFOS_ALLOW_PLACEHOLDER_SENDER
for from in briefs@localhost briefs@example.com briefs@mail.example.org briefs@relay.invalid; do
  expect_status 2 "SMTP from $from exits 2 before connecting" \
    "$bin/briefos-email" --database-url "$NODB" --transport smtp://127.0.0.1:1 --from "$from" --drain
  has "$tmp/err" "refusing to send with the placeholder From address \"$from\" (--from)" "naming the address and option"
done
expect_status 2 "a webhook with a placeholder Message-ID domain exits 2" \
  "$bin/briefos-email" --database-url "$NODB" --transport webhook+https://hooks.mail.test.org/x \
  --from briefs@mail.test.org --message-id-domain localhost --drain
has "$tmp/err" "placeholder Message-ID domain \"localhost\" (--message-id-domain)" "naming the domain and option"
has "$tmp/err" "hint: Set --message-id-domain to your own domain" "with a hint"
expect_status 3 "--allow-placeholder-sender lets it through (to the unreachable database)" \
  "$bin/briefos-email" --database-url "$NODB" --transport smtp://127.0.0.1:1 --from briefs@localhost \
  --allow-placeholder-sender --drain
expect_status 3 "so does BRIEFOS_ALLOW_PLACEHOLDER_SENDER=1" env BRIEFOS_ALLOW_PLACEHOLDER_SENDER=1 \
  "$bin/briefos-email" --database-url "$NODB" --transport smtp://127.0.0.1:1 --from briefs@localhost --drain
expect_status 3 "a Maildir from localhost is allowed (the database is unreachable)" \
  "$bin/briefos-email" --database-url "$NODB" --transport "maildir:$tmp/md" --from briefs@localhost --drain
lacks "$tmp/err" "placeholder" "and not warned about"
expect_status 3 "a dry run from localhost is allowed" \
  "$bin/briefos-email" --database-url "$NODB" --transport smtp://127.0.0.1:1 --from briefs@localhost --dry-run
lacks "$tmp/err" "placeholder" "and not warned about"
expect_status 3 "a real domain ending in example-like text is not a placeholder" \
  "$bin/briefos-email" --database-url "$NODB" --transport smtp://127.0.0.1:1 --from briefs@example-corp.com --drain
printf '[briefos-stats]\ntz = "Mars/Base"\n' >"$tmp/tz.toml"
expect_status 2 "a bad zone from the file exits 2" "$bin/briefos-stats" --config "$tmp/tz.toml" --database-url "$NODB" queue
has "$tmp/err" "for option --tz (set by key \"briefos-stats.tz\" in config file \"$tmp/tz.toml\", line 2)" \
  "naming the file, line and key"

# ---------------------------------------------------------------------------
echo "# a malformed database URL is a usage error (2), not unreachable (3)"
for p in briefos-migrate briefos-generate briefos-email briefos-schedule briefos-queue briefos-stats; do
  case $p in briefos-queue) sub=list ;; briefos-stats) sub=queue ;; *) sub= ;; esac
  expect_status 2 "$p --database-url 'postgres:/bad url'" "$bin/$p" --database-url 'postgres:/bad url' $sub
  has "$tmp/err" "invalid database URL from --database-url" "$p names the option"
done
expect_status 2 "from DATABASE_URL too" env DATABASE_URL="host=h port='5432" "$M" status
has "$tmp/err" "invalid database URL from environment variable DATABASE_URL" "naming the variable"
expect_status 3 "a well-formed URL of an unreachable server still exits 3" "$M" --database-url "$NODB" status

# ---------------------------------------------------------------------------
echo "# --log-format json: every line on stderr is JSON"
expect_status 2 "a usage error" "$M" --log-format json --database-url 'postgres:/bad url' status
all_json "$tmp/err" "the usage error is a JSON record"
expect_status 0 "a config warning and a dry run" "$M" --log-format json --config "$tmp/misspelled.toml" --dir "$tmp/set" -n new x
all_json "$tmp/err" "the warning is a JSON record"

u=$(new_db front_json)
expect_status 0 "migrate up" "$M" --log-format json --database-url "$u" up
all_json "$tmp/err" "briefos-migrate's summary is a JSON record"
has "$tmp/err" '"msg":"migrated from version 0 to' "with the summary's text"
lacks "$tmp/err" 'briefos-migrate: migrated' "no text summary"
expect_status 0 "migrate status" "$M" --log-format json --database-url "$u" status
all_json "$tmp/err" "status's summary too"
expect_status 0 "generate with nothing to do" "$bin/briefos-generate" --log-format json --database-url "$u" --once
all_json "$tmp/err" "briefos-generate's summary is a JSON record"
expect_status 0 "email with nothing to send" "$bin/briefos-email" --log-format json --database-url "$u" \
    --transport "maildir:$tmp/md" --from briefs@mail.test.org --once
all_json "$tmp/err" "briefos-email's summary is a JSON record"
expect_status 0 "queue prune dry run" "$bin/briefos-queue" --log-format json --database-url "$u" prune -n
all_json "$tmp/err" "briefos-queue's summary is a JSON record"
expect_status 0 "schedule dry run" "$bin/briefos-schedule" --log-format json --database-url "$u" --dry-run
all_json "$tmp/err" "briefos-schedule's summary is a JSON record"

# ---------------------------------------------------------------------------
echo "# --json: every line carries the schema version first; a dry run draws no job id"
$PSQL "$u" -Xq -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO users (id, email, name) VALUES ('0c0c0c0c-0000-4000-8000-000000000001', 'vera@mail.test.org', 'Vera');
INSERT INTO user_brief_preferences (user_id, timezone, time_of_day, email_daily_brief)
VALUES ('0c0c0c0c-0000-4000-8000-000000000001', 'UTC', (now() AT TIME ZONE 'UTC' + interval '2 minutes')::time, true);
SQL
seq_before=$($PSQL "$u" -XAtc "SELECT last_value || '/' || is_called FROM queue_jobs_id_seq")
expect_status 0 "a dry-run backfill" "$bin/briefos-schedule" --database-url "$u" --json --dry-run \
  --user vera@mail.test.org --from 2026-01-01 --to 2026-01-03
has "$tmp/out" '{"v":1,"job_id":null,' "dry-run job lines: version first, no id"
expect_status 0 "a dry-run sweep" "$bin/briefos-schedule" --database-url "$u" --json --dry-run
test "$(wc -l <"$tmp/out")" -ge 1 && ok "the dry-run sweep would queue vera's brief" || not_ok "the dry-run sweep queued nothing"
check "the dry runs drew no value from the job sequence" \
  test "$($PSQL "$u" -XAtc "SELECT last_value || '/' || is_called FROM queue_jobs_id_seq")" = "$seq_before"
check "and wrote no job" test "$($PSQL "$u" -XAtc "SELECT count(*) FROM queue_jobs")" -eq 0
expect_status 0 "the real backfill" "$bin/briefos-schedule" --database-url "$u" --json \
  --user vera@mail.test.org --from 2026-01-01 --to 2026-01-03
check "queues the three days the dry run showed" test "$(grep -c '^{"v":1,"job_id":[0-9]' "$tmp/out")" -eq 3
expect_status 0 "migrate status --json" "$M" --database-url "$u" status --json
has "$tmp/out" '{"v":1,"version":1,' "migrate status lines: version first"
expect_status 0 "queue list --json" "$bin/briefos-queue" --database-url "$u" list --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["v"] == 1, d' "$tmp/out" \
  && ok "queue list's document: version 1" || not_ok "queue list's document has no version"
expect_status 0 "generate --json" "$bin/briefos-generate" --database-url "$u" --json --drain
check "every generate line starts with the version" sh -c "test -s '$tmp/out' && ! grep -v '^{\"v\":1,' '$tmp/out'"
$PSQL "$u" -Xq -v ON_ERROR_STOP=1 -v prefix=jsonv -v count=2 -f "$src/tests/cli/email_seed.sql" >/dev/null
expect_status 0 "email --json" "$bin/briefos-email" --database-url "$u" --json --drain \
  --transport "maildir:$tmp/md" --from briefs@mail.test.org
check "every email line starts with the version" sh -c "test -s '$tmp/out' && ! grep -v '^{\"v\":1,' '$tmp/out'"

# ---------------------------------------------------------------------------
echo "# briefos-email shows progress on a terminal, and only there"
$PSQL "$u" -Xq -v ON_ERROR_STOP=1 -v prefix=prog -v count=3 -f "$src/tests/cli/email_seed.sql" >/dev/null
# script(1) gives the program a terminal; its stderr and stdout both land in
# the typescript.
expect_status 0 "email on a terminal" script -qec "'$bin/briefos-email' --database-url '$u' \
  --transport 'maildir:$tmp/md' --from briefs@mail.test.org --drain >/dev/null" "$tmp/typescript"
has "$tmp/typescript" "emails/s" "a progress line with the rate"
$PSQL "$u" -Xq -v ON_ERROR_STOP=1 -v prefix=prog2 -v count=3 -f "$src/tests/cli/email_seed.sql" >/dev/null
expect_status 0 "email, stderr not a terminal" "$bin/briefos-email" --database-url "$u" \
  --transport "maildir:$tmp/md" --from briefs@mail.test.org --drain
lacks "$tmp/err" "emails/s" "no progress line"
has "$tmp/err" "3 sent" "the summary counts the three"

expect_status 0 "a backfill of every user on a terminal" script -qec "'$bin/briefos-schedule' --database-url '$u' \
  --dry-run --from 2026-02-01 --to 2026-02-02 --batch-size 1 >/dev/null" "$tmp/typescript"
has "$tmp/typescript" "users/s" "schedule: a progress line with the rate"
expect_status 0 "a backfill, stderr not a terminal" "$bin/briefos-schedule" --database-url "$u" \
  --dry-run --from 2026-02-01 --to 2026-02-02 --batch-size 1
lacks "$tmp/err" "users/s" "schedule: no progress line"
$PSQL "$u" -Xq -c "UPDATE queue_jobs SET status = 'completed', completed_at = now() - interval '60 days'"
expect_status 0 "a prune on a terminal" script -qec "'$bin/briefos-queue' --database-url '$u' prune \
  --older-than 30d --batch-size 1 >/dev/null" "$tmp/typescript"
has "$tmp/typescript" "jobs/s" "queue prune: a progress line with the rate"

# ---------------------------------------------------------------------------
echo "# the README's migration listings match sql/"
ls "$src"/sql/*.up.sql | sed -E 's#.*/##; s#\.up\.sql$##' >"$tmp/files"
sed -n 's/^applied \([0-9]\{4\}_[a-z0-9_]*\) (.*$/\1/p' "$src/README.md" >"$tmp/listed"
if cmp -s "$tmp/files" "$tmp/listed"; then ok "README's \`up\` listing names every migration, in order"; else
  not_ok "README's \`up\` listing is stale"; diff "$tmp/files" "$tmp/listed" | sed 's/^/  | /'; fi
count=$(wc -l <"$tmp/files" | tr -d ' ')
has "$src/README.md" "briefos-migrate: migrated from version 0 to $count" "the summary names the last version"
has "$src/README.md" "verified $count applied migration(s)" "verify counts them all"
next=$(printf '%04d' $((count + 1)))
has "$src/README.md" "sql/${next}_add_task_labels.up.sql" "the \`new\` example names the next number"

finish
