// SPDX-License-Identifier: MIT
#pragma once

// Reading a user's brief data and storing a finished brief. Every libpqxx
// call of briefos-generate lives here.

#include "briefos/brief.hpp"
#include "briefos/db/queue.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace briefos::db::brief_store {

// Prepare the statements below on `cx` (cheap to call again: libpqxx
// ignores an identical re-definition).
void prepare(pqxx::connection& cx);

// A user with their brief preferences (if they have a row).
struct UserInfo {
  brief::User user;
  bool has_preferences = false;
  std::string timezone = "UTC";  // preferences.timezone, else UTC
  bool email_daily_brief = false;
  bool preferences_active = false;
};

// The user with id `user_id`, or nullopt.
std::optional<UserInfo> load_user(pqxx::transaction_base& tx, const std::string& user_id);

// The user named by `id_or_email` (a uuid, or an email address compared
// case-insensitively), or nullopt.
std::optional<UserInfo> find_user(pqxx::transaction_base& tx, const std::string& id_or_email);

// What load_projects needs to bound what it reads.
struct LoadWindow {
  std::string brief_date;         // phases covering this date
  brief::TimePoint done_since;    // done tasks completed at or after this
  brief::TimePoint notes_since;   // notes updated at or after this
  int notes_per_project = 5;
};

// All active projects of `user_id` with their live tasks (not deleted, not
// outdated; done ones only if completed since `done_since`), calendar
// markers, recent notes and the phases covering the brief date with their
// task ids: four set-based queries whatever the number of projects.
std::vector<brief::Project> load_projects(pqxx::transaction_base& tx,
                                          const std::string& user_id,
                                          const LoadWindow& window);

// What to store for one finished brief.
struct StoreInput {
  std::string user_id;
  std::string brief_date;
  std::string timezone;
  const brief::BuiltBrief* built = nullptr;
  std::optional<std::string> llm_analysis;
  std::string llm_status = "skipped";  // ok, failed, skipped
  brief::TimePoint started_at{};
  nlohmann::json metadata = nlohmann::json::object();  // merged into daily_briefs.metadata

  // Email hand-off: when `email` is set, create (or reuse) the email.
  struct Email {
    std::string subject;
    std::string from_email;
    std::string from_name;
    std::string to_email;
    std::optional<std::string> to_name;
    bool is_reengagement = false;
    bool force = false;  // regeneration was forced
  };
  std::optional<Email> email;
};

struct StoreResult {
  std::string brief_id;
  bool replaced = false;  // an earlier brief for (user, date) existed
  bool changed = true;    // summary differs from the one it replaced
  std::vector<std::string> project_brief_ids;
  std::optional<std::string> email_id;
  std::optional<long long> email_job_id;
  // created, reused (a pending email of this brief gets the new content),
  // kept_sent (already sent; not sent again), in_flight (being sent now),
  // or empty when no email was asked for.
  std::string email_action;
};

// Store the brief, its project briefs and (when asked) the email, its
// recipient and its generate_brief_email job, in the caller's transaction
// `tx`. The daily_briefs row is upserted in place (same id), so readers see
// the old brief until `tx` commits and the new one after.
StoreResult store(pqxx::transaction_base& tx, const StoreInput& input);

// Everything one brief is built from, read in one read-only transaction.
struct BriefSource {
  UserInfo user;
  std::string timezone;  // preferences, else the job's zone, else UTC
  std::vector<brief::Project> projects;
};

// Load the source of the brief of `user_id` for `brief_date` as of `now`.
// The zone is the user's preference, else `fallback_zone`, else UTC; an
// unknown zone throws UsageError (never a silent UTC). nullopt when the
// user does not exist.
std::optional<BriefSource> load_source(pqxx::connection& cx,
                                       const std::string& user_id,
                                       const std::optional<std::string>& fallback_zone,
                                       const std::string& brief_date,
                                       brief::TimePoint now,
                                       int notes_per_project);

// In one transaction on `cx`: store(input), then queue::complete(job,
// make_result(stored)), then commit. Throws queue::LeaseLost (and rolls
// everything back) when the job is no longer held by this worker.
StoreResult store_and_complete(pqxx::connection& cx,
                               const queue::Job& job,
                               const StoreInput& input,
                               const std::function<nlohmann::json(const StoreResult&)>& make_result);

// One brief to load with load_sources.
struct SourceRequest {
  std::string user_id;
  std::optional<std::string> fallback_zone;  // the job's zone
  std::string brief_date;
};

// What load_sources made of one request: `source` as load_source would
// return it, or `error` (an unknown zone, which load_source throws as
// UsageError).
struct LoadedSource {
  std::optional<BriefSource> source;
  std::string error;
};

// load_source for several briefs at once: five statements for the whole
// batch (users, projects, tasks, notes, phases, each with array parameters)
// instead of five per brief. One result per request, in order; a user who
// is in the batch twice (two dates) is loaded twice.
std::vector<LoadedSource> load_sources(pqxx::connection& cx,
                                       const std::vector<SourceRequest>& requests,
                                       brief::TimePoint now,
                                       int notes_per_project);

// store() for several briefs at once, in the caller's transaction `tx`:
// the daily_briefs upsert, the project briefs, the new emails with their
// recipients, the reused emails and the email jobs are one statement each
// for the whole batch. The rules and the results are those of store(),
// brief by brief. Rows are written in (user, date) order, so that two
// batches lock them in the same order. Throws std::invalid_argument when
// two inputs are the same brief (user, date); the caller then stores them
// one at a time.
std::vector<StoreResult> store_many(pqxx::transaction_base& tx,
                                    const std::vector<const StoreInput*>& inputs);

// In one transaction on `cx`: store_many(inputs), then complete jobs[i]
// with make_result(i, stored[i]) for every i in one statement, then
// commit. Throws queue::LeaseLost (and rolls everything back) when any of
// the jobs is no longer held by this worker; any other error rolls back
// too. Either way the caller can store the briefs one at a time instead,
// which isolates the failing one.
std::vector<StoreResult> store_and_complete_many(
    pqxx::connection& cx,
    const std::vector<const queue::Job*>& jobs,
    const std::vector<const StoreInput*>& inputs,
    const std::function<nlohmann::json(std::size_t, const StoreResult&)>& make_result);

// find_user in its own read-only transaction.
std::optional<UserInfo> find_user(pqxx::connection& cx, const std::string& id_or_email);

// A backfill job queued by --user/--date.
struct Backfill {
  long long job_id = 0;
  bool inserted = false;            // false: an active job with the key existed
  std::vector<long long> cancelled;  // --force: jobs cancelled first
};

// Queue the generate_daily_brief job of (`user_id`, `date`) with dedup key
// brief-<user>-<date>. With `force`, first cancel that brief's active jobs
// and use a unique key, with options.forceRegenerate set.
Backfill enqueue_backfill(pqxx::connection& cx,
                          const std::string& user_id,
                          const std::string& date,
                          const std::string& timezone,
                          bool force);

// A queued job as read without claiming it (for --dry-run).
struct JobInfo {
  long long id = 0;
  std::string type;
  std::string status;
  std::optional<std::string> user_id;
  nlohmann::json metadata;
};
std::vector<JobInfo> read_jobs(pqxx::connection& cx, const std::vector<long long>& ids);

// The due pending generate_daily_brief jobs, up to `limit` (for a dry run
// of --drain), and how many there are (the progress bar's total).
std::vector<JobInfo> due_brief_jobs(pqxx::connection& cx, long long limit);
long long count_due_brief_jobs(pqxx::connection& cx);

// pg_notify('briefos_events', payload) in its own short transaction, after
// the brief committed; failures are logged, never thrown.
void notify_event(pqxx::connection& cx, const nlohmann::json& payload);

}  // namespace briefos::db::brief_store
