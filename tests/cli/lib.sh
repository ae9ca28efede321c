# Shared helpers for tests/cli/*.test.sh (sourced; POSIX sh).
# Environment from CTest: BRIEFOS_BIN_DIR, BRIEFOS_SOURCE_DIR,
# BRIEFOS_BUILD_DIR; from scripts/test: BRIEFOS_TEST_DATABASE_URL.
set -eu

bin=${BRIEFOS_BIN_DIR:?}
src=${BRIEFOS_SOURCE_DIR:?}
PSQL=${PSQL:-psql}
# The tests send over SMTP on loopback from example.com addresses, which
# briefos-email refuses without this (tests/cli/frontend.test.sh unsets it
# to check the refusal).
export BRIEFOS_ALLOW_PLACEHOLDER_SENDER=1
failures=0
checks=0

need_db() {
  if [ -z "${BRIEFOS_TEST_DATABASE_URL:-}" ]; then
    echo "BRIEFOS_TEST_DATABASE_URL not set: skipping" >&2
    exit 77
  fi
}

# url_for NAME: the admin URL pointed at database NAME.
url_for() {
  echo "$BRIEFOS_TEST_DATABASE_URL" | sed -E "s#^(postgres(ql)?://[^/?]*/)[^?]*#\1$1#"
}

# new_db PREFIX: create an empty database and print its URL. Dropped at exit.
# Callers run it in a command substitution (a subshell), so the names are
# kept in a file, not in a variable.
new_db() {
  _name="$1_$$_$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
  $PSQL "$BRIEFOS_TEST_DATABASE_URL" -Xqc "CREATE DATABASE \"$_name\"" >/dev/null
  echo "$_name" >>"$tmp/.databases"
  url_for "$_name"
}

# new_migrated_db PREFIX: like new_db, with the schema migrated.
new_migrated_db() {
  _u=$(new_db "$1")
  "$bin/briefos-migrate" --database-url "$_u" -q up >/dev/null
  echo "$_u"
}

cleanup_dbs() {
  [ -f "$tmp/.databases" ] || return 0
  for d in $(cat "$tmp/.databases"); do
    $PSQL "$BRIEFOS_TEST_DATABASE_URL" -Xqc "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}

tmp=$(mktemp -d)
trap 'cleanup_dbs; rm -rf "$tmp"' EXIT

ok() { checks=$((checks + 1)); echo "ok - $*"; }
not_ok() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: run COMMAND, pass if it exits 0.
check() {
  _d=$1; shift
  if "$@"; then ok "$_d"; else not_ok "$_d"; fi
}

# expect_status N DESCRIPTION COMMAND...: pass if COMMAND exits with N.
expect_status() {
  _want=$1; _d=$2; shift 2
  set +e
  "$@" >"$tmp/out" 2>"$tmp/err"
  _got=$?
  set -e
  if [ "$_got" -eq "$_want" ]; then ok "$_d"; else
    not_ok "$_d (exit $_got, wanted $_want)"; sed 's/^/  | /' "$tmp/err" | head -20; fi
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
