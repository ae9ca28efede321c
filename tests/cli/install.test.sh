#!/bin/sh
# `cmake --install BUILD --prefix TMP` (no build: it copies what the build
# tree has) gives working programs: each installed program runs with no
# LD_LIBRARY_PATH and finds the installed libbriefos-core through its
# RUNPATH; --version and --help work; the man pages, the default templates
# and the SQL migrations are installed; and the installed programs, run from
# outside any source tree, migrate a fresh database and do a whole
# schedule | generate | email round into a Maildir.
#
# cmake --install writes install_manifest.txt into the build tree; the one
# that was there before is put back at exit.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
need_db

build=${BRIEFOS_BUILD_DIR:?}
prefix="$tmp/prefix"
tools="briefos-migrate briefos-schedule briefos-generate briefos-email briefos-stats briefos-queue"
manifest="$build/install_manifest.txt"
if [ -f "$manifest" ]; then cp -p "$manifest" "$tmp/manifest.saved"; fi
restore_manifest() {
  if [ -f "$tmp/manifest.saved" ]; then cp -p "$tmp/manifest.saved" "$manifest"; else rm -f "$manifest"; fi
}
trap 'restore_manifest; cleanup_dbs; rm -rf "$tmp"' EXIT

check "the build tree has an install script" test -f "$build/cmake_install.cmake"
expect_status 0 "cmake --install to a temporary prefix" cmake --install "$build" --prefix "$prefix"
# What was installed comes from the build tree's own source tree.
bsrc=$(sed -n 's/^briefos_SOURCE_DIR:STATIC=//p' "$build/CMakeCache.txt")
check "the build tree names its source tree" test -d "$bsrc/man" -a -d "$bsrc/sql" -a -d "$bsrc/templates"
version=$(sed -n 's/^project(briefos VERSION \([0-9.]*\).*/\1/p' "$bsrc/CMakeLists.txt")

# --- the programs and their library -----------------------------------------------------
lib=$(find "$prefix" -name 'libbriefos-core.so.0' | head -n 1)
libdir=$(cd "$(dirname "$lib")" && pwd -P)
check "libbriefos-core.so.0 is installed under the prefix" test -n "$lib"
for t in $tools; do
  p="$prefix/bin/$t"
  check "$t is installed and executable" test -x "$p"
  check "$t's RUNPATH is relative to the binary (\$ORIGIN)" \
    sh -c "readelf -d '$p' | grep -E 'R(UN)?PATH' | grep -q 'ORIGIN'"
  # The loader's own answer, with no LD_LIBRARY_PATH: the installed library.
  got=$(env -u LD_LIBRARY_PATH ldd "$p" | sed -n 's#^[[:space:]]*libbriefos-core\.so\.0 => \(/.*\)/libbriefos-core\.so\.0 .*#\1#p')
  got=$(cd "${got:-/nonexistent}" 2>/dev/null && pwd -P || echo "not found")
  check "$t loads libbriefos-core from the prefix without LD_LIBRARY_PATH ($got)" test "$got" = "$libdir"
  expect_status 0 "$t --version runs without LD_LIBRARY_PATH" env -u LD_LIBRARY_PATH "$p" --version
  check "$t --version says $t (briefos) $version" test "$(cat "$tmp/out")" = "$t (briefos) $version"
  expect_status 0 "$t --help" env -u LD_LIBRARY_PATH "$p" --help
  check "$t --help shows its usage" grep -q "^Usage: $t " "$tmp/out"
done

# --- man pages, templates, SQL ---------------------------------------------------------
for t in $tools; do
  check "man page $t.1 installed, same as man/$t.1" cmp -s "$bsrc/man/$t.1" "$prefix/share/man/man1/$t.1"
done
check "man page briefos.7 installed, same as man/briefos.7" cmp -s "$bsrc/man/briefos.7" "$prefix/share/man/man7/briefos.7"
if command -v man >/dev/null 2>&1; then
  check "man finds briefos-email(1) and briefos(7) in the prefix's MANPATH" \
    test "$(MANPATH="$prefix/share/man" man -w briefos-email) $(MANPATH="$prefix/share/man" man -w 7 briefos)" \
       = "$prefix/share/man/man1/briefos-email.1 $prefix/share/man/man7/briefos.7"
fi
for f in subject.mustache html.mustache text.mustache README; do
  check "default template $f installed" cmp -s "$bsrc/templates/$f" "$prefix/share/briefos/templates/$f"
done
nsql=$(find "$bsrc/sql" -maxdepth 1 -name '*.sql' | wc -l)
check "all $nsql SQL migration files installed" \
  test "$(find "$prefix/share/briefos/sql" -maxdepth 1 -name '*.sql' | wc -l)" -eq "$nsql"
for f in "$bsrc"/sql/*.sql; do
  cmp -s "$f" "$prefix/share/briefos/sql/$(basename "$f")" || not_ok "installed $(basename "$f") differs"
done

# --- the installed programs at work, from outside any source tree ---------------------------
url=$(new_db install)
run() { _t=$1; shift; (cd / && env -u LD_LIBRARY_PATH "$prefix/bin/$_t" --database-url "$url" "$@"); }
expect_status 0 "installed briefos-migrate up on a fresh database" run briefos-migrate up
check "it applied every migration" \
  test "$($PSQL "$url" -XAtc "SELECT count(*) FROM briefos_schema_migrations")" -eq "$((nsql / 2))"
expect_status 0 "installed briefos-migrate status --exit-code: nothing pending" run briefos-migrate status --exit-code
expect_status 0 "installed briefos-migrate verify against the installed SQL files" \
  run briefos-migrate --dir "$prefix/share/briefos/sql" verify

$PSQL "$url" -Xq -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
INSERT INTO users (id, email, name) VALUES
  ('11111111-1111-4111-8111-111111111111', 'ada@example.com', 'Ada'),
  ('22222222-2222-4222-8222-222222222222', 'grace@example.com', 'Grace');
INSERT INTO user_brief_preferences (user_id, time_of_day, timezone, email_daily_brief)
SELECT id, date_trunc('minute', (now() AT TIME ZONE 'Europe/Berlin') + interval '1 minute')::time,
       'Europe/Berlin', true FROM users;
INSERT INTO projects (id, user_id, name) SELECT md5(id::text)::uuid, id, 'Install check of ' || name FROM users;
INSERT INTO tasks (project_id, user_id, title, start_date)
SELECT md5(id::text)::uuid, id, 'Installed task of ' || name, now() FROM users;
SQL
md="$tmp/maildir"
set +e
run briefos-schedule --json 2>"$tmp/s.err" \
  | run briefos-generate --jobs - --json 2>"$tmp/g.err" \
  | run briefos-email --jobs - --json --transport "maildir:$md" \
      >"$tmp/sent" 2>"$tmp/e.err"
set -e
check "the installed pipeline sent two emails" test "$(grep -c '"status":"sent"' "$tmp/sent")" -eq 2
check "two messages in the Maildir" test "$(find "$md/new" -type f | wc -l)" -eq 2
check "each carries its user's brief" \
  test "$(grep -l 'Installed task of Ada' "$md"/new/* | wc -l) $(grep -l 'Installed task of Grace' "$md"/new/* | wc -l)" = "1 1"
# The installed default templates are the ones in use, found next to the
# program (PREFIX/share), not at the configured prefix: an edit shows.
brief=$($PSQL "$url" -XAtqc "SELECT id FROM daily_briefs ORDER BY id LIMIT 1")
printf 'Installed-template subject: {{subject}}\n' >"$prefix/share/briefos/templates/subject.mustache"
expect_status 0 "installed briefos-email --preview" run briefos-email --preview "$brief"
check "the preview uses PREFIX/share/briefos/templates" grep -q '^Subject: Installed-template subject' "$tmp/out"
expect_status 0 "installed briefos-stats emails" run briefos-stats --tz UTC --format json emails --days 2
check "briefos-stats counts the two sent emails" \
  test "$(/usr/bin/python3 -c 'import json,sys; print(sum(d["sent"] for d in json.load(sys.stdin)["days"]))' <"$tmp/out")" -eq 2

finish
