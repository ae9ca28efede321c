#!/bin/sh
# Registers tests/sql_smoke.sh (the psql-only check of sql/: file format, up,
# the monitoring SQL on a little data, down step by step with a schema
# comparison after each, up again) with CTest: it needs an empty database,
# which new_db provides and drops afterwards.
. "$(dirname "$0")/lib.sh"
need_db

u=$(new_db sql_smoke)
if PSQL=$PSQL sh "$src/tests/sql_smoke.sh" "$u"; then
  ok "tests/sql_smoke.sh on an empty database"
else
  not_ok "tests/sql_smoke.sh on an empty database (its output above names the failing step)"
fi
finish
