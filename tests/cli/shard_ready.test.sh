#!/bin/sh
# The schema stays ready to be distributed by user (migration 0012, issue 21;
# ARCHITECTURE.md, "Distributing by user_id"). Citus is not packaged for
# Debian 12, so this checks from the catalog what Citus would demand:
#
# * every table of the schema is in exactly one of the lists below
#   (distributed by its user column, reference, or coordinator-local): a new
#   table fails here until someone decides where it goes;
# * each distributed table's user column is uuid NOT NULL;
# * each foreign key to a distributed table comes from a distributed table
#   and pairs the two user columns; keys to reference tables are fine;
# * each unique key of a distributed table includes its user column, or is
#   one of the global keys listed below, which Citus would refuse as they
#   stand and which distributing reworks (ARCHITECTURE.md); a new one fails.
#
# Then what 0012 does to data: the backfill of rows written before it, the
# trigger that fills user_id for writers that do not know the column
# (BuildOS's app writes phase_tasks), the keys refusing another user's rows
# in a user's project, and its down migration.
. "$(dirname "$0")/lib.sh"
need_db

# table:user column
distributed="users:id projects:user_id tasks:user_id notes:user_id phases:user_id
phase_tasks:user_id task_calendar_events:user_id user_brief_preferences:user_id
daily_briefs:user_id project_daily_briefs:user_id emails:created_by
email_recipients:user_id email_tracking_events:user_id email_bounce_reports:user_id"
# Small, read with any user's rows, copied to every node.
reference="email_suppressions"
# Stay on the coordinator: the queue's claims (FOR UPDATE SKIP LOCKED across
# all users), the sweep's singleton row, the migration history.
coordinator_local="queue_jobs schedule_state briefos_schema_migrations"
# Unique keys without the user column (constraint or index names).
global_keys="users_email_lower_key
projects_pkey tasks_pkey notes_pkey phases_pkey phase_tasks_pkey phase_tasks_phase_id_task_id_key
task_calendar_events_pkey user_brief_preferences_pkey daily_briefs_pkey
project_daily_briefs_pkey project_daily_briefs_project_id_brief_date_key
emails_pkey emails_tracking_id_key email_recipients_pkey email_recipients_unsubscribe_token_key
email_tracking_events_pkey email_bounce_reports_pkey"

u=$(new_migrated_db shard)
sql() { $PSQL "$u" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# The lists as one relation: tbl, kind, col.
{
  for e in $distributed; do echo "('${e%%:*}', 'distributed', '${e#*:}')"; done
  for t in $reference; do echo "('$t', 'reference', NULL)"; done
  for t in $coordinator_local; do echo "('$t', 'local', NULL)"; done
} | paste -sd, - >"$tmp/values"
plan="(VALUES $(cat "$tmp/values")) AS plan(tbl, kind, col)"
keys="(VALUES $(for k in $global_keys; do printf "('%s')," "$k"; done | sed 's/,$//')) AS g(name)"
tables="SELECT c.relname FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition"

unlisted=$(sql "$tables EXCEPT SELECT tbl FROM $plan ORDER BY 1")
check "every table is listed as distributed, reference or coordinator-local (unlisted: ${unlisted:-none})" \
  test -z "$unlisted"
stale=$(sql "SELECT tbl FROM $plan EXCEPT $tables ORDER BY 1")
check "every listed table exists (stale: ${stale:-none})" test -z "$stale"
twice=$(sql "SELECT tbl FROM $plan GROUP BY tbl HAVING count(*) > 1")
check "no table is listed twice (${twice:-none})" test -z "$twice"

bad_cols=$(sql "SELECT plan.tbl FROM $plan
  LEFT JOIN pg_attribute a ON a.attrelid = format('public.%I', plan.tbl)::regclass
                          AND a.attname = plan.col AND NOT a.attisdropped
 WHERE plan.kind = 'distributed' AND (a.attname IS NULL OR NOT a.attnotnull OR a.atttypid <> 'uuid'::regtype)
 ORDER BY 1")
check "each distributed table has its user column, uuid NOT NULL (bad: ${bad_cols:-none})" test -z "$bad_cols"

# For each foreign key: the plan of both ends, and whether some position
# pairs the child's user column with the parent's.
bad_fks=$(sql "SELECT con.conname || ' (' || ch.tbl || ' ' || ch.kind || ' -> ' || pa.tbl || ' ' || pa.kind || ')'
  FROM pg_constraint con
  CROSS JOIN LATERAL (SELECT p.* FROM (VALUES $(cat "$tmp/values")) AS p(tbl, kind, col)
                       WHERE p.tbl = con.conrelid::regclass::text) ch
  CROSS JOIN LATERAL (SELECT p.* FROM (VALUES $(cat "$tmp/values")) AS p(tbl, kind, col)
                       WHERE p.tbl = con.confrelid::regclass::text) pa
 WHERE con.contype = 'f' AND con.connamespace = 'public'::regnamespace
   AND NOT (pa.kind = 'reference'
            OR (ch.kind = 'local' AND pa.kind = 'local')
            OR (ch.kind = 'distributed' AND pa.kind = 'distributed'
                AND EXISTS (SELECT 1 FROM unnest(con.conkey, con.confkey) AS k(c, f)
                             WHERE k.c = (SELECT attnum FROM pg_attribute
                                           WHERE attrelid = con.conrelid AND attname = ch.col)
                               AND k.f = (SELECT attnum FROM pg_attribute
                                           WHERE attrelid = con.confrelid AND attname = pa.col))))
 ORDER BY 1")
check "every foreign key to a distributed table pairs the user columns of both ends (bad: ${bad_fks:-none})" \
  test -z "$bad_fks"
fk_count=$(sql "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace")
check "the foreign keys were read from the catalog ($fk_count)" test "$fk_count" -ge 20

new_keys=$(sql "SELECT ic.relname FROM $plan
  JOIN pg_index i ON i.indrelid = format('public.%I', plan.tbl)::regclass AND i.indisunique
  JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE plan.kind = 'distributed'
   AND NOT (SELECT attnum FROM pg_attribute
             WHERE attrelid = i.indrelid AND attname = plan.col) = ANY (i.indkey::int2[])
EXCEPT SELECT name FROM $keys ORDER BY 1")
check "each unique key of a distributed table has its user column or is a listed global key (new: ${new_keys:-none})" \
  test -z "$new_keys"
gone_keys=$(sql "SELECT name FROM $keys EXCEPT SELECT relname FROM pg_class WHERE relkind = 'i' ORDER BY 1")
check "every listed global key exists (gone: ${gone_keys:-none})" test -z "$gone_keys"

# --- what 0012 does to data ---------------------------------------------------------
d=$(new_db shard_data)
"$bin/briefos-migrate" --database-url "$d" -q up --to 11 >/dev/null
dsql() { $PSQL "$d" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
ann=aaaaaaaa-0000-4000-8000-000000000001
bob=bbbbbbbb-0000-4000-8000-000000000002
$PSQL "$d" -Xq -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO users (id, email) VALUES ('$ann', 'ann@example.org'), ('$bob', 'bob@example.org');
INSERT INTO projects (id, user_id, name) VALUES
 ('10000000-0000-4000-8000-000000000001', '$ann', 'Ann project'),
 ('10000000-0000-4000-8000-000000000002', '$bob', 'Bob project');
INSERT INTO tasks (id, project_id, user_id, title) VALUES
 ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '$ann', 'Ann task'),
 ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', '$bob', 'Bob task');
INSERT INTO phases (id, project_id, user_id, name, start_date, end_date, "order") VALUES
 ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', '$ann', 'P', '2025-01-01', '2025-12-31', 1),
 ('30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', '$bob', 'P', '2025-01-01', '2025-12-31', 1);
INSERT INTO phase_tasks (phase_id, task_id) VALUES
 ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001');
INSERT INTO emails (id, subject, from_email, from_name, created_by) VALUES
 ('40000000-0000-4000-8000-000000000001', 's', 'f@example.org', 'F', '$bob');
INSERT INTO email_recipients (id, email_id, recipient_email) VALUES
 ('50000000-0000-4000-8000-000000000001', '40000000-0000-4000-8000-000000000001', 'bob@example.org');
INSERT INTO email_tracking_events (email_id, recipient_id, event_type) VALUES
 ('40000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001', 'sent');
INSERT INTO email_bounce_reports (report_id, address, kind, email_id, recipient_id) VALUES
 ('r1', 'bob@example.org', 'soft_bounce', '40000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001');
SQL
expect_status 0 "0012 applies over rows written before it" \
  "$bin/briefos-migrate" --database-url "$d" -q up
check "backfill: the phase link took its phase's user" \
  test "$(dsql "SELECT user_id FROM phase_tasks")" = "$ann"
check "backfill: recipient, event and bounce report took their email's user" \
  test "$(dsql "SELECT string_agg(DISTINCT user_id::text, ',') FROM (SELECT user_id FROM email_recipients
          UNION ALL SELECT user_id FROM email_tracking_events UNION ALL SELECT user_id FROM email_bounce_reports) x")" = "$bob"

# A writer that does not know user_id (BuildOS's app, the seeds).
dsql "INSERT INTO phase_tasks (phase_id, task_id) VALUES
      ('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002')"
check "a phase link inserted without user_id takes its phase's user" \
  test "$(dsql "SELECT user_id FROM phase_tasks WHERE task_id = '20000000-0000-4000-8000-000000000002'")" = "$bob"
dsql "INSERT INTO email_tracking_events (email_id, event_type) VALUES ('40000000-0000-4000-8000-000000000001', 'opened')"
check "a tracking event inserted without user_id takes its email's user" \
  test "$(dsql "SELECT user_id FROM email_tracking_events WHERE event_type = 'opened'")" = "$bob"
expect_status 1 "a phase link of ann's phase to bob's task is refused" \
  dsql "INSERT INTO phase_tasks (phase_id, task_id) VALUES
        ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002')"
grep -q phase_tasks_task_id_fkey "$tmp/err" && ok "  by the key with the user in it" || not_ok "  refused by phase_tasks_task_id_fkey"
expect_status 1 "a task of ann's inside bob's project is refused" \
  dsql "INSERT INTO tasks (project_id, user_id, title) VALUES ('10000000-0000-4000-8000-000000000002', '$ann', 'Intruder')"
expect_status 1 "a phase link with a user_id that is not its phase's is refused" \
  dsql "INSERT INTO phase_tasks (phase_id, task_id, user_id) VALUES
        ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002', '$bob')"
grep -q phase_tasks_phase_id_fkey "$tmp/err" && ok "  by the key of its phase" || not_ok "  refused by phase_tasks_phase_id_fkey"
expect_status 1 "a phase link of a phase that does not exist is refused" \
  dsql "INSERT INTO phase_tasks (phase_id, task_id) VALUES
        ('30000000-0000-4000-8000-00000000ffff', '20000000-0000-4000-8000-000000000001')"
grep -q 'column "user_id"' "$tmp/err" && ok "  as a row without a user" || not_ok "  refused for its NULL user_id"
dsql "DELETE FROM email_recipients"
check "deleting a recipient keeps its bounce report, without recipient, with its user (SET NULL of the id only)" \
  test "$(dsql "SELECT recipient_id IS NULL AND user_id = '$bob' FROM email_bounce_reports")" = t
dsql "DELETE FROM projects WHERE user_id = '$bob'"
check "deleting a project still cascades to its tasks, phases and phase links" \
  test "$(dsql "SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM phases) + (SELECT count(*) FROM phase_tasks)")" -eq 3

expect_status 0 "0012 goes down" "$bin/briefos-migrate" --database-url "$d" -q down --to 11
check "down: the added user_id columns are gone" \
  test "$(dsql "SELECT count(*) FROM information_schema.columns WHERE column_name = 'user_id'
          AND table_name IN ('phase_tasks', 'email_recipients', 'email_tracking_events', 'email_bounce_reports')")" -eq 0
check "down: the single-column key is back (another user's task in a project is stored again)" \
  dsql "INSERT INTO tasks (project_id, user_id, title) VALUES ('10000000-0000-4000-8000-000000000001', '$bob', 'Intruder')"
expect_status 1 "up again refuses such a row, naming the key, and changes nothing" \
  "$bin/briefos-migrate" --database-url "$d" -q up
grep -q tasks_project_id_fkey "$tmp/err" && ok "  the error names tasks_project_id_fkey" || { not_ok "  error names the key"; sed 's/^/  | /' "$tmp/err"; }
check "  and the database stays at version 11" \
  test "$(dsql "SELECT max(version) FROM briefos_schema_migrations")" -eq 11
finish
