// SPDX-License-Identifier: MIT
//
// The SQL of briefos-schedule. A sweep is set-based: rows come in batches
// (keyset pagination), and each batch's jobs and next_run_at updates go
// back in ONE statement with arrays as parameters. Rows are not locked
// while they are read (locking 100,000 rows costs as much as updating
// them): the update of next_run_at applies only if updated_at is still the
// value that was read, so a preference the web tier edited meanwhile keeps
// the NULL its edit left and the next sweep schedules it from the new
// values. Concurrent sweeps are kept apart by the sweep lock. The jobs are inserted with
// ON CONFLICT (dedup_key) ... DO NOTHING against the partial unique index
// over active jobs, the same guarantee queue::enqueue gives, so two sweeps,
// two hosts or a sweep and a backfill can never queue the same
// (user, brief date) twice while one is active. A date whose brief is
// already completed is not queued again either (unless regenerating), so a
// preference edited after today's brief does not bring a second one.
#include "briefos/db/schedule_store.hpp"

#include "briefos/db/sql.hpp"

#include <algorithm>
#include <cctype>
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
  if (row.size() > 7) p.version = row[7].as<std::string>();
  return p;
}

constexpr const char* preference_columns =
    "p.id::text, p.user_id::text, p.frequency, p.day_of_week,"
    " to_char(p.time_of_day, 'HH24:MI:SS'), p.timezone";

bool looks_like_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : std::isxdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::int64_t now(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT floor(extract(epoch FROM statement_timestamp()))::bigint")[0].as<std::int64_t>();
}

bool lock_sweep(pqxx::dbtransaction& tx, std::chrono::seconds timeout) {
  if (timeout.count() == 0) {
    return tx.exec_params1("SELECT pg_try_advisory_xact_lock($1)", sweep_lock_key)[0].as<bool>();
  }
  // A lock_timeout error would abort the whole transaction, so the wait
  // runs in a subtransaction; after it, row locks wait as usual.
  try {
    pqxx::subtransaction sub{tx, "sweep_lock"};
    sub.exec_params("SELECT set_config('lock_timeout', $1, true)",
                    std::to_string(timeout.count() * 1000));
    sub.exec_params("SELECT pg_advisory_xact_lock($1)", sweep_lock_key);
    sub.exec("SELECT set_config('lock_timeout', '0', true)");
    sub.commit();
    return true;
  } catch (const pqxx::sql_error& e) {
    if (std::strcmp(e.sqlstate().c_str(), "55P03") == 0) return false;
    throw;
  }
}

std::vector<PreferenceRow> fetch_unscheduled(pqxx::transaction_base& tx,
                                             const std::string& after_id,
                                             int limit,
                                             std::int64_t now_s,
                                             std::int64_t catch_up_s) {
  // Search from the last edit, so a preference created at 08:50 for 09:00
  // still runs today when the sweep comes at 09:05; but never from before
  // the catch-up window, and never from the future (replays with --now).
  const pqxx::result r = tx.exec_params(
      std::string("SELECT ") + preference_columns
          + ", floor(extract(epoch FROM GREATEST(LEAST(p.updated_at, to_timestamp($1::bigint)),"
            "                                     to_timestamp($1::bigint - $2::bigint))))::bigint"
            ", p.updated_at::text"
            " FROM user_brief_preferences p"
            " WHERE p.is_active AND p.next_run_at IS NULL AND p.id > $3::uuid"
            " ORDER BY p.id LIMIT $4",
      to_text(now_s), to_text(catch_up_s),
      after_id.empty() ? std::string("00000000-0000-0000-0000-000000000000") : after_id, limit);
  std::vector<PreferenceRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) rows.push_back(read_preference(row));
  return rows;
}

std::vector<PreferenceRow> fetch_due(pqxx::transaction_base& tx,
                                     std::int64_t horizon,
                                     const std::optional<DueCursor>& after,
                                     int limit,
                                     bool engagement) {
  std::string sql = std::string("SELECT ") + preference_columns
                    + ", extract(epoch FROM p.next_run_at)::bigint, p.updated_at::text";
  if (engagement) {
    // The original's inputs: users.last_visit, and the last brief the user
    // was sent. The original took the last brief generated, because its
    // backoff skipped generation altogether (its defect 12); here a held-back
    // run still generates the brief and only withholds the email, so "days
    // since the last brief" must count e-mailed briefs (pending, sending or
    // sent daily-brief emails), served by emails (created_by, created_at).
    sql += ", floor(extract(epoch FROM u.last_visit))::bigint,"
           " floor(extract(epoch FROM lb.at))::bigint"
           " FROM user_brief_preferences p"
           " LEFT JOIN users u ON u.id = p.user_id"
           " LEFT JOIN LATERAL (SELECT e.created_at AS at FROM emails e"
           "                     WHERE e.created_by = p.user_id AND e.category = 'daily_brief'"
           "                       AND e.status IN ('pending', 'sending', 'sent')"
           "                     ORDER BY e.created_at DESC LIMIT 1) lb ON true";
  } else {
    sql += " FROM user_brief_preferences p";
  }
  sql += " WHERE p.is_active AND p.next_run_at <= to_timestamp($1::bigint)"
         " AND (p.next_run_at, p.id) > (to_timestamp($2::float8), $3::uuid)"
         " ORDER BY p.next_run_at, p.id LIMIT $4";
  const pqxx::result r = tx.exec_params(
      sql, to_text(horizon), after ? to_text(after->at) : std::string("-Infinity"),
      after ? after->id : std::string("00000000-0000-0000-0000-000000000000"), limit);
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
  return rows;
}

void enqueue_and_advance(pqxx::transaction_base& tx,
                         const std::vector<BriefJob>& jobs,
                         const std::vector<NextRun>& advance,
                         bool regenerate,
                         EnqueueResult& out) {
  if (jobs.empty() && advance.empty()) return;
  static const std::string sql = R"SQL(
WITH input AS (
    SELECT t.user_id, t.brief_date, t.tz, t.sched, t.days, t.hold
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::int[], $10::boolean[])
           AS t(user_id, brief_date, tz, sched, days, hold)
), generated AS (
    SELECT i.user_id, i.brief_date
      FROM input i
     WHERE NOT $6::boolean
       AND EXISTS (SELECT 1 FROM daily_briefs d
                    WHERE d.user_id = i.user_id AND d.brief_date = i.brief_date::date
                      AND d.generation_status = 'completed')
), ins AS (
    INSERT INTO queue_jobs (job_type, user_id, metadata, priority, max_attempts,
                            scheduled_for, dedup_key)
    SELECT 'generate_daily_brief', i.user_id,
           jsonb_build_object(
               'userId', i.user_id, 'briefDate', i.brief_date, 'timezone', i.tz,
               'options', jsonb_strip_nulls(jsonb_build_object(
                              'isReengagement', CASE WHEN i.days IS NOT NULL THEN true END,
                              'daysSinceLastLogin', i.days,
                              'holdEmail', CASE WHEN i.hold THEN true END))),
           10, 3, to_timestamp(i.sched), 'brief-' || i.user_id || '-' || i.brief_date
      FROM input i
     WHERE NOT EXISTS (SELECT 1 FROM generated g
                        WHERE g.user_id = i.user_id AND g.brief_date = i.brief_date)
        ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL AND status IN ('pending', 'processing')
        DO NOTHING
    RETURNING id, user_id, metadata->>'briefDate' AS brief_date,
              extract(epoch FROM scheduled_for)::bigint AS sched
), adv AS (
    UPDATE user_brief_preferences p
       SET next_run_at = to_timestamp(a.at)
      FROM unnest($7::uuid[], $8::bigint[], $9::timestamptz[]) AS a(id, at, seen)
     WHERE p.id = a.id AND p.updated_at = a.seen
    RETURNING 1
)
SELECT 'q' AS kind, id, user_id::text, brief_date, sched FROM ins
UNION ALL SELECT 'g', (SELECT count(*) FROM generated), NULL, NULL, NULL
UNION ALL SELECT 'a', (SELECT count(*) FROM adv), NULL, NULL, NULL
)SQL";
  const pqxx::result r = tx.exec_params(
      sql,
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
      array_of(advance, [](const NextRun& n) { return std::optional<std::string>(n.id); }),
      array_of(advance, [](const NextRun& n) {
        return n.at ? std::optional<std::string>(to_text(*n.at)) : std::nullopt;
      }),
      array_of(advance, [](const NextRun& n) { return std::optional<std::string>(n.version); }),
      array_of(jobs, [](const BriefJob& j) {
        return std::optional<std::string>(j.hold_email ? "true" : "false");
      }));
  long long inserted = 0;
  long long generated = 0;
  for (const auto& row : r) {
    const char kind = row[0].c_str()[0];
    if (kind == 'q') {
      QueuedJob q;
      q.id = row[1].as<long long>();
      const char* user = row[2].c_str();
      const char* date = row[3].c_str();
      std::memcpy(q.user_id.data(), user, std::min<std::size_t>(std::strlen(user), q.user_id.size()));
      std::memcpy(q.brief_date.data(), date,
                  std::min<std::size_t>(std::strlen(date), q.brief_date.size()));
      q.scheduled_for = row[4].as<std::int64_t>();
      out.queued.push_back(q);
      ++inserted;
    } else if (kind == 'g') {
      generated = row[1].as<long long>();
    } else {
      out.advanced += row[1].as<long long>();
    }
  }
  out.already_generated += generated;
  out.already_queued += static_cast<long long>(jobs.size()) - inserted - generated;
}

long long cancel_briefs(pqxx::transaction_base& tx,
                        const std::vector<std::pair<std::string, std::string>>& user_dates,
                        const std::string& reason) {
  if (user_dates.empty()) return 0;
  using Pair = std::pair<std::string, std::string>;
  const pqxx::result r = tx.exec_params(
      "UPDATE queue_jobs q SET status = 'cancelled', error_message = $3, completed_at = now(),"
      " locked_by = NULL, locked_until = NULL, updated_at = now()"
      " FROM unnest($1::uuid[], $2::text[]) AS c(user_id, brief_date)"
      " WHERE q.user_id = c.user_id AND q.job_type = 'generate_daily_brief'"
      " AND q.status IN ('pending', 'processing') AND q.metadata->>'briefDate' = c.brief_date",
      array_of(user_dates, [](const Pair& p) { return std::optional<std::string>(p.first); }),
      array_of(user_dates, [](const Pair& p) { return std::optional<std::string>(p.second); }),
      reason);
  return static_cast<long long>(r.affected_rows());
}

UserLookup find_users(pqxx::transaction_base& tx, const std::vector<std::string>& names) {
  std::vector<std::optional<std::string>> ids;
  std::vector<std::optional<std::string>> emails;
  for (const std::string& n : names) {
    if (looks_like_uuid(n)) {
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

std::vector<PreferenceRow> fetch_active(pqxx::transaction_base& tx,
                                        const std::string& after_id,
                                        int limit) {
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

void notify_jobs(pqxx::transaction_base& tx) {
  tx.exec("SELECT pg_notify('briefos_jobs', 'generate_daily_brief')");
}

void vacuum_preferences(pqxx::connection& cx) {
  pqxx::nontransaction tx{cx};
  tx.exec("VACUUM (ANALYZE) user_brief_preferences");
}

}  // namespace briefos::db::schedule_store
