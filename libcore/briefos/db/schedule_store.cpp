// SPDX-License-Identifier: MIT
//
// The SQL of briefos-schedule. A sweep is set-based and writes nothing
// but the jobs it queues and one row of schedule_state: preferences are
// never updated, so they stay all-visible and the windows' index-only
// scans stay cheap. The due users of a window of UTC time are found by
// ranges of local time_of_day per zone (the ranges are computed in C++
// with the tz database, see schedule::zone_windows) joined to
// user_brief_preferences_due_idx, and the jobs are inserted in the same
// statement, so the server never ships the rows to the client and back.
// The jobs are inserted with ON CONFLICT (dedup_key) ... DO NOTHING against
// the partial unique index over active jobs, the same guarantee
// queue::enqueue gives, so two sweeps, two hosts or a sweep and a backfill
// can never queue the same (user, brief date) twice while one is active. A
// date whose brief is already completed is not queued again either (unless
// regenerating), so a preference edited after today's brief does not
// bring a second one. Concurrent sweeps are kept apart by the sweep lock,
// under which schedule_state is read and moved forward.
#include "briefos/db/schedule_store.hpp"

#include "briefos/db/detail/pqxx_access.hpp"
#include "briefos/db/detail/schedule_sql.hpp"
#include "briefos/db/detail/sql.hpp"
#include "briefos/jobs.hpp"
#include "briefos/util/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>

namespace briefos::db::schedule_store {

namespace {

// pg_advisory_xact_lock key of the sweep ("BRSCHED1" in ASCII).
constexpr long long sweep_lock_key = 0x4252534348454431LL;

std::string to_text(std::int64_t v) { return std::to_string(v); }

template <typename T, typename F>
std::string array_of(const std::vector<T>& items, F&& field) {
  std::vector<std::optional<std::string>> values;
  values.reserve(items.size());
  for (const T& item : items) values.push_back(field(item));
  return array_literal(values);
}

// field.as<std::optional<T>>() does not compile with libpqxx 6.4.
template <typename T>
std::optional<T> optional_of(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

PreferenceRow read_preference(const pqxx::row& row) {
  PreferenceRow p;
  p.id = row[0].as<std::string>();
  p.user_id = row[1].as<std::string>();
  p.frequency = row[2].as<std::string>();
  p.day_of_week = optional_of<int>(row[3]);
  p.time_of_day = row[4].as<std::string>();
  p.timezone = row[5].as<std::string>();
  p.at = row[6].is_null() ? 0 : row[6].as<std::int64_t>();
  return p;
}

constexpr const char* preference_columns =
    "p.id::text, p.user_id::text, p.frequency, p.day_of_week,"
    " to_char(p.time_of_day, 'HH24:MI:SS'), p.timezone";

using util::lower;

}  // namespace

std::int64_t now(Transaction& t) {
  pqxx::transaction_base& tx = detail::tx(t);
  return tx.exec1("SELECT floor(extract(epoch FROM statement_timestamp()))::bigint")[0].as<std::int64_t>();
}

bool lock_sweep(Transaction& t, std::chrono::seconds timeout) {
  pqxx::dbtransaction& tx = detail::dbtx(t);
  if (timeout.count() == 0) {
    return tx.exec_params1("SELECT pg_try_advisory_xact_lock($1)", sweep_lock_key)[0].as<bool>();
  }
  // A lock_timeout error would abort the whole transaction, so the wait
  // runs in a savepoint; after it, row locks wait as usual.
  try {
    Savepoint sp{tx, "sweep_lock"};
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", std::to_string(timeout.count() * 1000));
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", sweep_lock_key);
    tx.exec("SELECT set_config('lock_timeout', '0', true)");
    sp.release();
    return true;
  } catch (const pqxx::sql_error& e) {
    if (std::strcmp(e.sqlstate().c_str(), "55P03") == 0) return false;
    throw;
  }
}

std::optional<SweepState> read_state(Transaction& t) {
  pqxx::transaction_base& tx = detail::tx(t);
  const pqxx::result r = tx.exec(
      "SELECT floor(extract(epoch FROM swept_to))::bigint, floor(extract(epoch FROM swept_at))::bigint"
      " FROM schedule_state");
  if (r.empty()) return std::nullopt;
  return SweepState{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
}

void write_state(Transaction& t, const SweepState& state) {
  pqxx::transaction_base& tx = detail::tx(t);
  tx.exec_params(
      "INSERT INTO schedule_state (swept_to, swept_at) VALUES (to_timestamp($1::bigint), to_timestamp($2::bigint))"
      " ON CONFLICT (singleton) DO UPDATE"
      " SET swept_to = GREATEST(schedule_state.swept_to, EXCLUDED.swept_to),"
      "     swept_at = GREATEST(schedule_state.swept_at, EXCLUDED.swept_at), updated_at = now()",
      to_text(state.swept_to), to_text(state.swept_at));
}

std::vector<ZoneUse> active_zones(Transaction& t) {
  pqxx::transaction_base& tx = detail::tx(t);
  // A recursive skip scan: each step is one probe of the index for the next
  // zone, so 600 zones cost 600 probes however many users there are.
  const pqxx::result r = tx.exec(R"SQL(
WITH RECURSIVE z(zone) AS (
    (SELECT timezone FROM user_brief_preferences WHERE is_active ORDER BY timezone LIMIT 1)
    UNION ALL
    SELECT (SELECT p.timezone FROM user_brief_preferences p
             WHERE p.is_active AND p.timezone > z.zone ORDER BY p.timezone LIMIT 1)
      FROM z WHERE z.zone IS NOT NULL
)
SELECT z.zone,
       EXISTS (SELECT 1 FROM user_brief_preferences p
                WHERE p.is_active AND p.timezone = z.zone AND p.time_of_day >= '24:00:00')
  FROM z WHERE z.zone IS NOT NULL
)SQL");
  std::vector<ZoneUse> zones;
  zones.reserve(r.size());
  for (const auto& row : r) zones.push_back({row[0].as<std::string>(), row[1].as<bool>()});
  return zones;
}

InvalidRows invalid_preferences(Transaction& t,
                                const std::vector<std::string>& bad_zones,
                                const std::vector<std::string>& zones_2400,
                                std::optional<std::int64_t> edited_after,
                                int limit) {
  pqxx::transaction_base& tx = detail::tx(t);
  InvalidRows out;
  if (bad_zones.empty() && zones_2400.empty()) return out;
  std::vector<std::string> all = bad_zones;
  all.insert(all.end(), zones_2400.begin(), zones_2400.end());
  const auto text = [](const std::string& z) { return std::optional<std::string>(z); };
  std::optional<std::string> after;
  if (edited_after) after = to_text(*edited_after);
  // The rows to warn about come first; the counts cover every row. An edit
  // stamped in the same second as the previous sweep counts as after it:
  // a second warning is better than none.
  const pqxx::result r = tx.exec_params(
      std::string("SELECT ") + preference_columns
          + ", 0, count(*) OVER (), count(*) FILTER (WHERE w.warn) OVER (), w.warn"
            " FROM user_brief_preferences p"
            " CROSS JOIN LATERAL (SELECT $4::bigint IS NULL"
            "                         OR p.updated_at >= to_timestamp($4::bigint) AS warn) w"
            " WHERE p.is_active AND p.timezone = ANY($1::text[])"
            "   AND (p.timezone = ANY($2::text[]) OR p.time_of_day >= '24:00:00')"
            " ORDER BY w.warn DESC, p.user_id LIMIT $3",
      array_of(all, text), array_of(bad_zones, text), limit, after);
  for (const auto& row : r) {
    out.count = row[7].as<long long>();
    out.warned = row[8].as<long long>();
    if (row[9].as<bool>()) out.rows.push_back(read_preference(row));
  }
  return out;
}

namespace {

// The due runs of $1..$6 (the windows, as parallel arrays), with the run
// instant. $7 is when the sweeps started to know the preferences: the
// previous sweep's now, or this sweep's now for the very first one. A run
// earlier than both the preference's last edit and $7 is not one: on the
// first sweep, the catch-up window does not reach back before a
// preference existed (a brief set at 10:07 for 10:00 starts tomorrow, as
// the edited-rows pass and the original decide); later windows all start
// after $7, so the condition holds for every row. Every statement over
// windows starts with this. The LATERAL subquery is fenced (OFFSET 0) so
// that each window is one index-only range scan of
// user_brief_preferences_due_idx: as a plain join the planner sometimes
// preferred hashing the windows against a sequential scan of all the
// preferences, once per statement (seen: 1.1 s for 64 windows).
constexpr const char* windows_sql = R"SQL(
WITH w AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::time[], $4::time[], $5::bigint[], $6::text[])
                  AS w(zone, dow, lo, hi, base, run_date)
), due AS (
    SELECT r.user_id, w.zone, w.run_date, r.run
      FROM w
     CROSS JOIN LATERAL (
           SELECT p.user_id, p.updated_at,
                  w.base + floor(extract(epoch FROM p.time_of_day))::bigint AS run
             FROM user_brief_preferences p
            WHERE p.is_active AND p.timezone = w.zone
              AND p.time_of_day >= w.lo AND p.time_of_day < w.hi
              AND (p.frequency <> 'weekly' OR coalesce(p.day_of_week, 1) = w.dow)
           OFFSET 0) r
     WHERE r.run >= LEAST(floor(extract(epoch FROM r.updated_at))::bigint, $7::bigint)
)
)SQL";

// ", last_visit, last_brief FROM `from` ..." for engagement backoff. The
// original's inputs: users.last_visit, and the last brief the user was
// sent. The original took the last brief generated, because its backoff
// skipped generation altogether (its defect 12); here a held-back run
// still generates the brief and only withholds the email, so "days since
// the last brief" must count e-mailed briefs (pending, sending or sent
// daily-brief emails), served by emails (created_by, created_at).
std::string engagement_columns(const std::string& from, const std::string& user) {
  return ", floor(extract(epoch FROM u.last_visit))::bigint, floor(extract(epoch FROM lb.at))::bigint"
         " FROM " + from + " LEFT JOIN users u ON u.id = " + user +
         " LEFT JOIN LATERAL (SELECT e.created_at AS at FROM emails e"
         "                     WHERE e.created_by = " + user + " AND e.category = 'daily_brief'"
         "                       AND e.status IN ('pending', 'sending', 'sent')"
         "                     ORDER BY e.created_at DESC LIMIT 1) lb ON true";
}

std::string clock_text(int s) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

// Runs `sql` with the windows as $1..$6, `known_s` as $7 and `extra` as $8...
template <typename... Extra>
pqxx::result exec_windows(pqxx::transaction_base& tx, const std::string& sql,
                          const std::vector<Window>& w, std::int64_t known_s, const Extra&... extra) {
  const auto zone = array_of(w, [](const Window& x) { return std::optional<std::string>(x.zone); });
  const auto dow = array_of(w, [](const Window& x) { return std::optional<std::string>(std::to_string(x.weekday)); });
  const auto lo = array_of(w, [](const Window& x) { return std::optional<std::string>(clock_text(x.from)); });
  const auto hi = array_of(w, [](const Window& x) { return std::optional<std::string>(clock_text(x.to)); });
  const auto base = array_of(w, [](const Window& x) { return std::optional<std::string>(to_text(x.base)); });
  const auto date = array_of(w, [](const Window& x) { return std::optional<std::string>(x.run_date); });
  return tx.exec_params(sql, zone, dow, lo, hi, base, date, to_text(known_s), extra...);
}

void copy_to(std::array<char, 36>& a, const char* s) {
  std::memcpy(a.data(), s, std::min<std::size_t>(std::strlen(s), a.size()));
}
void copy_to(std::array<char, 10>& a, const char* s) {
  std::memcpy(a.data(), s, std::min<std::size_t>(std::strlen(s), a.size()));
}

// Rows of ('q', id, user, date, scheduled_for) for each job inserted, and
// ('g', n) / ('d', n) counters, as the two enqueue statements return them.
long long read_enqueued(const pqxx::result& r, EnqueueResult& out, long long due) {
  long long inserted = 0;
  long long generated = 0;
  for (const auto& row : r) {
    const char kind = row[0].c_str()[0];
    if (kind == 'q') {
      QueuedJob q;
      q.id = row[1].as<long long>();
      copy_to(q.user_id, row[2].c_str());
      copy_to(q.brief_date, row[3].c_str());
      q.scheduled_for = row[4].as<std::int64_t>();
      out.queued.push_back(q);
      ++inserted;
    } else if (kind == 'g') {
      generated = row[1].as<long long>();
    } else if (kind == 'd') {
      due = row[1].as<long long>();
    }
  }
  out.already_generated += generated;
  out.already_queued += due - inserted - generated;
  return due;
}

}  // namespace

namespace {

// The statement of enqueue_windows, in one of three forms: a plain INSERT
// that skips keys with an active job (`fast`), the same with ON CONFLICT
// DO NOTHING (`safe`), or for a dry run a SELECT of the rows the fast form
// would insert (`dry`): a rolled-back INSERT would still draw job ids from
// the sequence, and a dry run consumes nothing. OFFSET 0 keeps each EXISTS
// a per-row index probe: unfenced, the planner may hash the whole of
// daily_briefs or of the active jobs once per statement (seen: 165 ms per
// statement for 83,000 active jobs right after they were queued, before
// ANALYZE knew about them).
enum class Form { fast, safe, dry };

constexpr const char* active_key_absent = R"SQL(
       AND NOT EXISTS (SELECT 1 FROM queue_jobs q
                        WHERE q.dedup_key = $12::text || c.user_id || $13::text || c.run_date
                          AND q.status IN ('pending', 'processing') OFFSET 0)
)SQL";

std::string enqueue_windows_sql(Form form) {
  std::string sql = std::string(windows_sql) + R"SQL(
, checked AS (
    SELECT d.*, EXISTS (SELECT 1 FROM daily_briefs b
                         WHERE b.user_id = d.user_id AND b.brief_date = d.run_date::date
                           AND b.generation_status = 'completed' OFFSET 0) AS generated
      FROM due d
), ins AS (
)SQL";
  if (form == Form::dry) {
    // Every parameter is still used, so that the three forms take the same
    // arguments; the id is 0 (no job was made).
    sql += R"SQL(
    SELECT 0::bigint AS id, c.user_id, c.run_date::text AS brief_date, (c.run - $8::bigint)::bigint AS sched
      FROM checked c
     WHERE NOT c.generated
       AND $9::queue_type IS NOT NULL AND $10::int IS NOT NULL AND $11::int IS NOT NULL
)SQL";
    sql += active_key_absent;
  } else {
    sql += R"SQL(
    INSERT INTO queue_jobs (job_type, user_id, metadata, priority, max_attempts,
                            scheduled_for, dedup_key)
    SELECT $9::queue_type, c.user_id,
           jsonb_build_object('userId', c.user_id, 'briefDate', c.run_date, 'timezone', c.zone,
                              'options', '{}'::jsonb),
           $10::int, $11::int, to_timestamp(c.run - $8::bigint), $12::text || c.user_id || $13::text || c.run_date
      FROM checked c
     WHERE NOT c.generated
)SQL";
    sql += form == Form::fast ? active_key_absent : R"SQL(
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing')
        DO NOTHING
)SQL";
    sql += R"SQL(
    RETURNING id, user_id, metadata->>'briefDate' AS brief_date,
              extract(epoch FROM scheduled_for)::bigint AS sched
)SQL";
  }
  return sql + R"SQL(
)
SELECT 'q' AS kind, id, user_id::text, brief_date, sched FROM ins
UNION ALL SELECT 'g', (SELECT count(*) FROM checked WHERE generated), NULL, NULL, NULL
UNION ALL SELECT 'd', (SELECT count(*) FROM checked), NULL, NULL, NULL
)SQL";
}

}  // namespace

}  // namespace briefos::db::schedule_store

namespace briefos::db::schedule_sql {

using namespace schedule_store;

long long enqueue_windows(pqxx::dbtransaction& tx,
                          const std::vector<Window>& windows,
                          std::int64_t now_s,
                          std::int64_t lead_s,
                          EnqueueResult& out,
                          bool dry_run) {
  if (windows.empty()) return 0;
  // ON CONFLICT inserts speculatively (probe, insert, confirm): about a
  // third slower than a plain insert. Under the sweep lock the only rival
  // for a key is a backfill racing this sweep, or the same run twice in one
  // statement (a skipped day, Pacific/Apia 2011); either makes the plain
  // insert fail with a unique violation, and then the statement runs again
  // with ON CONFLICT.
  static const std::string fast = enqueue_windows_sql(Form::fast);
  static const std::string safe = enqueue_windows_sql(Form::safe);
  static const std::string dry = enqueue_windows_sql(Form::dry);
  pqxx::result r;
  if (dry_run) {
    r = exec_windows(tx, dry, windows, now_s, to_text(lead_s), jobs::brief_type, jobs::brief_priority,
                     jobs::brief_max_attempts, jobs::brief_key_prefix, jobs::brief_key_separator);
    return read_enqueued(r, out, 0);
  }
  try {
    Savepoint sp{tx, "enqueue_windows"};
    r = exec_windows(tx, fast, windows, now_s, to_text(lead_s), jobs::brief_type, jobs::brief_priority,
                     jobs::brief_max_attempts, jobs::brief_key_prefix, jobs::brief_key_separator);
    sp.release();
  } catch (const pqxx::unique_violation&) {
    // In a savepoint too, so that a lock timeout here (see
    // enqueue_chunks' shares) leaves `tx` usable.
    Savepoint sp{tx, "enqueue_windows_safe"};
    r = exec_windows(tx, safe, windows, now_s, to_text(lead_s), jobs::brief_type, jobs::brief_priority,
                     jobs::brief_max_attempts, jobs::brief_key_prefix, jobs::brief_key_separator);
    sp.release();
  }
  return read_enqueued(r, out, 0);
}

}  // namespace briefos::db::schedule_sql

namespace briefos::db::schedule_store {

std::vector<DueRun> fetch_window_runs(Transaction& t,
                                      const std::vector<Window>& windows,
                                      std::int64_t now_s,
                                      bool engagement) {
  pqxx::transaction_base& tx = detail::tx(t);
  std::vector<DueRun> runs;
  if (windows.empty()) return runs;
  std::string sql = std::string(windows_sql) + "SELECT d.user_id::text, d.zone, d.run_date, d.run";
  if (engagement) {
    sql += engagement_columns("due d", "d.user_id");
  } else {
    sql += " FROM due d";
  }
  sql += " ORDER BY d.run, d.user_id";
  const pqxx::result r = exec_windows(tx, sql, windows, now_s);
  runs.reserve(r.size());
  for (const auto& row : r) {
    DueRun d;
    d.user_id = row[0].as<std::string>();
    d.timezone = row[1].as<std::string>();
    d.run_date = row[2].as<std::string>();
    d.run = row[3].as<std::int64_t>();
    if (engagement) {
      d.last_visit = optional_of<std::int64_t>(row[4]);
      d.last_brief = optional_of<std::int64_t>(row[5]);
    }
    runs.push_back(std::move(d));
  }
  return runs;
}

long long count_window_runs(Transaction& t, const std::vector<Window>& windows,
                            std::int64_t now_s) {
  pqxx::transaction_base& tx = detail::tx(t);
  if (windows.empty()) return 0;
  return exec_windows(tx, std::string(windows_sql) + "SELECT count(*) FROM due", windows, now_s)[0][0]
      .as<long long>();
}

std::vector<PreferenceRow> fetch_edited(Transaction& t,
                                        std::int64_t since,
                                        std::int64_t now_s,
                                        std::int64_t catch_up_s,
                                        std::optional<EditCursor>& cursor,
                                        int limit,
                                        bool engagement) {
  pqxx::transaction_base& tx = detail::tx(t);
  // Search from the edit, so a preference created at 08:50 for 09:00 still
  // runs today when the sweep comes at 09:05; but never from before the
  // catch-up window, and never from the future (replays with --now).
  std::string sql = std::string("SELECT ") + preference_columns
                    + ", floor(extract(epoch FROM GREATEST(LEAST(p.updated_at, to_timestamp($1::bigint)),"
                      "                                     to_timestamp($1::bigint - $2::bigint))))::bigint"
                      ", p.updated_at::text";
  if (engagement) {
    sql += engagement_columns("user_brief_preferences p", "p.user_id");
  } else {
    sql += " FROM user_brief_preferences p";
  }
  // Without a cursor the row comparison starts just after `since` (the
  // largest uuid): the index scan starts where it must. A first cursor of
  // (-infinity, 0) made the row comparison the scan's start and the scan
  // read every entry up to `since`: the whole index, 6,300 pages and 0.15 s
  // on every sweep of a million preferences, to find nothing.
  sql += " WHERE p.is_active AND p.updated_at > to_timestamp($3::bigint)"
         " AND (p.updated_at, p.id) > (COALESCE(NULLIF($4, '')::timestamptz, to_timestamp($3::bigint)),"
         "                             COALESCE(NULLIF($5, '')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'))"
         " ORDER BY p.updated_at, p.id LIMIT $6";
  const pqxx::result r = tx.exec_params(sql, to_text(now_s), to_text(catch_up_s), to_text(since),
                                        cursor ? cursor->updated_at : std::string(),
                                        cursor ? cursor->id : std::string(), limit);
  std::vector<PreferenceRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    PreferenceRow p = read_preference(row);
    if (engagement) {
      p.last_visit = optional_of<std::int64_t>(row[8]);
      p.last_brief = optional_of<std::int64_t>(row[9]);
    }
    rows.push_back(std::move(p));
  }
  if (!r.empty()) cursor = EditCursor{r[r.size() - 1][7].as<std::string>(), rows.back().id};
  return rows;
}

void enqueue_jobs(Transaction& t,
                  const std::vector<BriefJob>& jobs,
                  bool regenerate,
                  EnqueueResult& out,
                  bool dry_run) {
  pqxx::transaction_base& tx = detail::tx(t);
  if (jobs.empty()) return;
  // A dry run selects what the insert would make (id 0) instead of
  // inserting and rolling back, which would draw job ids from the sequence.
  static const std::string dry_ins = R"SQL(
    SELECT 0::bigint AS id, c.user_id, c.brief_date, c.sched
      FROM checked c
     WHERE NOT c.generated
       AND $8::queue_type IS NOT NULL AND $9::int IS NOT NULL AND $10::int IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM queue_jobs q
                        WHERE q.dedup_key = $11::text || c.user_id || $12::text || c.brief_date
                          AND q.status IN ('pending', 'processing') OFFSET 0)
)SQL";
  static const std::string prefix = R"SQL(
WITH input AS (
    SELECT t.user_id, t.brief_date, t.tz, t.sched, t.days, t.hold
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::int[], $7::boolean[])
           AS t(user_id, brief_date, tz, sched, days, hold)
), checked AS (
    SELECT i.*, NOT $6::boolean
                AND EXISTS (SELECT 1 FROM daily_briefs d
                             WHERE d.user_id = i.user_id AND d.brief_date = i.brief_date::date
                               AND d.generation_status = 'completed' OFFSET 0) AS generated
      FROM input i
), ins AS ()SQL";
  static const std::string suffix = R"SQL(
)
SELECT 'q' AS kind, id, user_id::text, brief_date, sched FROM ins
UNION ALL SELECT 'g', (SELECT count(*) FROM checked WHERE generated), NULL, NULL, NULL
)SQL";
  static const std::string insert_ins = R"SQL(
    INSERT INTO queue_jobs (job_type, user_id, metadata, priority, max_attempts,
                            scheduled_for, dedup_key)
    SELECT $8::queue_type, c.user_id,
           jsonb_build_object(
               'userId', c.user_id, 'briefDate', c.brief_date, 'timezone', c.tz,
               'options', jsonb_strip_nulls(jsonb_build_object(
                              'isReengagement', CASE WHEN c.days IS NOT NULL THEN true END,
                              'daysSinceLastLogin', c.days,
                              'holdEmail', CASE WHEN c.hold THEN true END))),
           $9::int, $10::int, to_timestamp(c.sched), $11::text || c.user_id || $12::text || c.brief_date
      FROM checked c
     WHERE NOT c.generated
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing')
        DO NOTHING
    RETURNING id, user_id, metadata->>'briefDate' AS brief_date,
              extract(epoch FROM scheduled_for)::bigint AS sched
)SQL";
  static const std::string sql = prefix + insert_ins + suffix;
  static const std::string dry_sql = prefix + dry_ins + suffix;
  const pqxx::result r = tx.exec_params(
      dry_run ? dry_sql : sql,
      array_of(jobs, [](const BriefJob& j) { return std::optional<std::string>(j.user_id); }),
      array_of(jobs, [](const BriefJob& j) { return std::optional<std::string>(j.brief_date); }),
      array_of(jobs, [](const BriefJob& j) { return std::optional<std::string>(j.timezone); }),
      array_of(jobs, [](const BriefJob& j) { return std::optional<std::string>(to_text(j.scheduled_for)); }),
      array_of(jobs,
               [](const BriefJob& j) {
                 return j.reengagement_days ? std::optional<std::string>(std::to_string(*j.reengagement_days))
                                            : std::nullopt;
               }),
      regenerate,
      array_of(jobs, [](const BriefJob& j) {
        return std::optional<std::string>(j.hold_email ? "true" : "false");
      }),
      jobs::brief_type, jobs::brief_priority, jobs::brief_max_attempts, jobs::brief_key_prefix,
      jobs::brief_key_separator);
  read_enqueued(r, out, static_cast<long long>(jobs.size()));
}
long long cancel_briefs(Transaction& t,
                        const std::vector<std::pair<std::string, std::string>>& user_dates,
                        const std::string& reason) {
  pqxx::transaction_base& tx = detail::tx(t);
  if (user_dates.empty()) return 0;
  using Pair = std::pair<std::string, std::string>;
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs q SET status = 'cancelled', error_message = $3, completed_at = now(),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " FROM unnest($1::uuid[], $2::text[]) AS c(user_id, brief_date)"
      " WHERE q.user_id = c.user_id AND q.job_type = $4::queue_type"
      " AND q.status IN ('pending', 'processing') AND q.metadata->>'briefDate' = c.brief_date",
      array_of(user_dates, [](const Pair& p) { return std::optional<std::string>(p.first); }),
      array_of(user_dates, [](const Pair& p) { return std::optional<std::string>(p.second); }),
      reason, jobs::brief_type);
  return static_cast<long long>(r.affected_rows());
}

UserLookup find_users(Transaction& t, const std::vector<std::string>& names) {
  pqxx::transaction_base& tx = detail::tx(t);
  std::vector<std::optional<std::string>> ids;
  std::vector<std::optional<std::string>> emails;
  for (const std::string& n : names) {
    if (util::is_uuid(n)) {
      ids.emplace_back(lower(n));
    } else {
      emails.emplace_back(lower(n));
    }
  }
  const pqxx::result r = tx.exec_params(
      std::string("SELECT u.id::text, lower(u.email), p.id IS NOT NULL, ") + preference_columns
          + ", 0"
            " FROM users u LEFT JOIN user_brief_preferences p ON p.user_id = u.id"
            " WHERE u.id = ANY($1::uuid[]) OR lower(u.email) = ANY($2::text[])"
            " ORDER BY u.id",
      array_literal(ids), array_literal(emails));
  UserLookup out;
  std::map<std::string, bool> found;  // id or lower(email) -> seen
  for (const auto& row : r) {
    const std::string id = row[0].as<std::string>();
    found[id] = true;
    found[row[1].as<std::string>()] = true;
    if (!row[2].as<bool>()) {
      out.no_preference.push_back(id);
      continue;
    }
    PreferenceRow p;
    p.id = row[3].as<std::string>();
    p.user_id = row[4].as<std::string>();
    p.frequency = row[5].as<std::string>();
    p.day_of_week = optional_of<int>(row[6]);
    p.time_of_day = row[7].as<std::string>();
    p.timezone = row[8].as<std::string>();
    out.rows.push_back(std::move(p));
  }
  for (const std::string& n : names) {
    if (found.count(lower(n)) == 0) out.unknown.push_back(n);
  }
  return out;
}

std::vector<PreferenceRow> fetch_active(Transaction& t,
                                        const std::string& after_id,
                                        int limit) {
  pqxx::transaction_base& tx = detail::tx(t);
  const pqxx::result r = tx.exec_params(
      std::string("SELECT ") + preference_columns
          + ", 0 FROM user_brief_preferences p WHERE p.is_active AND p.id > $1::uuid"
            " ORDER BY p.id LIMIT $2",
      after_id.empty() ? std::string("00000000-0000-0000-0000-000000000000") : after_id, limit);
  std::vector<PreferenceRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) rows.push_back(read_preference(row));
  return rows;
}

void notify_jobs(Transaction& t) {
  pqxx::transaction_base& tx = detail::tx(t);
  tx.exec_params("SELECT pg_notify('briefos_jobs', $1)", jobs::brief_type);
}

}  // namespace briefos::db::schedule_store
