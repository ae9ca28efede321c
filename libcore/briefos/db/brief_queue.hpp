// SPDX-License-Identifier: MIT
#pragma once

// briefos-generate's own reads and writes of queue_jobs outside the claim
// loop: the backfill job of --user/--date (--force included), and the jobs
// a dry run or the progress bar looks at without claiming them.

#include "briefos/db/session.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::brief_store {

// A backfill job queued by --user/--date.
struct Backfill {
  long long job_id = 0;
  bool inserted = false;             // false: an active job with the key existed
  std::vector<long long> cancelled;  // --force: jobs cancelled first
};

// Queue the brief job of (`user_id`, `date`) in `timezone` (jobs::brief_job,
// with its dedup key). With `force`, first cancel that brief's active jobs
// and use a unique key (jobs::forced_brief_key), with
// options.forceRegenerate set. One transaction.
Backfill enqueue_backfill(Session& session,
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
  nlohmann::json metadata;  // discarded (is_discarded()) when not JSON
};

// The jobs `ids`, in that order (ids that do not exist are left out).
std::vector<JobInfo> read_jobs(Session& session, const std::vector<long long>& ids);

// The due pending brief jobs in claim order, up to `limit` (for a dry run
// of --drain), and how many there are (the progress bar's total).
std::vector<JobInfo> due_brief_jobs(Session& session, long long limit);
long long count_due_brief_jobs(Session& session);

}  // namespace briefos::db::brief_store
