// SPDX-License-Identifier: MIT
#pragma once

// Every statement briefos-schedule runs. Times cross this boundary as whole
// seconds since the Unix epoch (UTC); the caller owns the transaction.

#include <pqxx/pqxx>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace briefos::db::schedule_store {

// One active preference as a sweep reads it.
struct PreferenceRow {
  std::string id;
  std::string user_id;
  std::string frequency;
  std::optional<int> day_of_week;
  std::string time_of_day;  // HH:MM:SS
  std::string timezone;
  // The stored next run (due rows) or the instant to search from (rows with
  // no next run yet: the later of the last edit and now - catch-up).
  std::int64_t at = 0;
  // updated_at as read (text, exact to the microsecond): next_run_at is
  // only written back if it is unchanged, i.e. nobody edited the row since.
  std::string version;
  // Engagement inputs, read only when asked for.
  std::optional<std::int64_t> last_visit;
  std::optional<std::int64_t> last_brief;
};

// The database's clock at this statement (all due decisions use it, never
// the host's; not now(), which is frozen at the start of the transaction).
std::int64_t now(pqxx::transaction_base& tx);

// Serialise sweeps: wait up to `timeout` for the transaction-scoped sweep
// lock. False if another sweep held it all that time.
bool lock_sweep(pqxx::dbtransaction& tx, std::chrono::seconds timeout);

// Up to `limit` active preferences with no next run and id > `after_id`
// (empty: from the start), in id order.
std::vector<PreferenceRow> fetch_unscheduled(pqxx::transaction_base& tx,
                                             const std::string& after_id,
                                             int limit,
                                             std::int64_t now,
                                             std::int64_t catch_up_s);

// Up to `limit` active preferences with next_run_at <= `horizon`, after
// (next_run_at, id) = `after` (nullopt: from the start), in that order.
// With `engagement`, also the user's last visit and last brief.
struct DueCursor {
  std::int64_t at = 0;
  std::string id;
};
std::vector<PreferenceRow> fetch_due(pqxx::transaction_base& tx,
                                     std::int64_t horizon,
                                     const std::optional<DueCursor>& after,
                                     int limit,
                                     bool engagement);

// Set next_run_at of preferences (by id); nullopt stores NULL.
struct NextRun {
  std::string id;
  std::optional<std::int64_t> at;
  std::string version;  // PreferenceRow::version
};

// A generate_daily_brief job to queue.
struct BriefJob {
  std::string user_id;
  std::string brief_date;       // YYYY-MM-DD, the user's local date
  std::string timezone;
  std::int64_t scheduled_for = 0;
  std::optional<int> reengagement_days;  // set when backoff flags it
  bool hold_email = false;                // backoff: brief yes, email no
};

struct QueuedJob {
  long long id = 0;
  std::array<char, 36> user_id{};
  std::array<char, 10> brief_date{};
  std::int64_t scheduled_for = 0;
};

struct EnqueueResult {
  std::vector<QueuedJob> queued;
  long long already_queued = 0;     // an active job had the dedup key
  long long already_generated = 0;  // a completed brief exists for that date
  long long advanced = 0;           // preferences whose next_run_at was set
};

// In one statement: insert `jobs` (dedup key brief-<user>-<date>; an
// active duplicate is a no-op, and unless `regenerate`, so is a date whose
// brief is already completed), and set next_run_at for `advance` (each
// only if the row's updated_at still equals its version).
// Appends the new jobs to `out.queued` and adds to its counters.
void enqueue_and_advance(pqxx::transaction_base& tx,
                         const std::vector<BriefJob>& jobs,
                         const std::vector<NextRun>& advance,
                         bool regenerate,
                         EnqueueResult& out);

// Cancel active generate_daily_brief jobs for each (user, date) pair, in
// one statement; returns how many were cancelled.
long long cancel_briefs(pqxx::transaction_base& tx,
                        const std::vector<std::pair<std::string, std::string>>& user_dates,
                        const std::string& reason);

// Preferences (active or not) of the users named by id or e-mail address,
// with `at` = 0. Names that match no user come back in `unknown`; users
// without a preference row in `no_preference` (their ids).
struct UserLookup {
  std::vector<PreferenceRow> rows;
  std::vector<std::string> unknown;
  std::vector<std::string> no_preference;
};
UserLookup find_users(pqxx::transaction_base& tx, const std::vector<std::string>& names);

// Active preferences with id > `after_id`, in id order (backfill of all
// users), `at` = 0.
std::vector<PreferenceRow> fetch_active(pqxx::transaction_base& tx,
                                        const std::string& after_id,
                                        int limit);

// Wake long-running workers (once per sweep, when a queued job is due).
void notify_jobs(pqxx::transaction_base& tx);

// VACUUM (ANALYZE) user_brief_preferences, outside any transaction. After
// a sweep rewrote most of the table (the first one after a bulk import),
// the dead index entries it left would slow every later sweep until
// autovacuum came by. Not being the table's owner is only a warning.
void vacuum_preferences(pqxx::connection& cx);

}  // namespace briefos::db::schedule_store
