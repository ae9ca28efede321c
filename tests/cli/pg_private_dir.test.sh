#!/bin/sh
# scripts/pg starts a cluster for a checkout that lies under a directory the
# cluster's owner cannot enter: as root the cluster belongs to "postgres",
# and a clone under /root (mode 0700) or a 0700 temporary directory used to
# fail with "initdb failed" (the check of the data directory resolved a
# relative path from our working directory, initdb got the absolute one).
# Here: a 0700 directory, a 0755 clone-like directory inside it, and
# scripts/pg started from there with a relative DIR, exactly as scripts/test
# does. As another user than root the same run checks the plain case.
. "$(dirname "$0")/lib.sh"

private=$(mktemp -d)            # mode 0700, like /root
chmod 0700 "$private"
mkdir -m 0755 "$private/clone"
at_exit_pg() { (cd "$private/clone" && "$src/scripts/pg" destroy build/test-pg >/dev/null 2>&1) || true; rm -rf "$private"; }
trap 'at_exit_pg; cleanup_dbs; rm -rf "$tmp"' EXIT

set +e
url=$(cd "$private/clone" && "$src/scripts/pg" start build/test-pg 2>"$tmp/pg.err")
rc=$?
set -e
check "scripts/pg start in a clone under a 0700 directory: exit 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/  /' "$tmp/pg.err"
check "the cluster answers at the URL it printed" \
  test "$($PSQL "$url" -XAtqc 'SELECT 1' 2>&1)" = 1
if [ "$(id -u)" -eq 0 ] && [ -f "$private/clone/build/test-pg/pg.env" ]; then
  datadir=$(sed -n "s/^DATADIR='\(.*\)'$/\1/p" "$private/clone/build/test-pg/pg.env")
  check "as root the data went where postgres can reach it ($datadir)" \
    runuser -u postgres -- test -w "$datadir"
fi
set +e
(cd "$private/clone" && "$src/scripts/pg" stop build/test-pg)
rc=$?
set -e
check "scripts/pg stop: exit 0" test "$rc" -eq 0
finish
