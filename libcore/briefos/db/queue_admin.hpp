// SPDX-License-Identifier: MIT
#pragma once

// The queue as a whole, for an operator (briefos-queue): listing jobs by a
// filter, showing one job with everything it holds, and the changes an
// operator makes to many jobs at once: retry (failed or cancelled jobs back
// to pending, their failed email with them), cancel (pending or processing
// jobs, fenced by queue::cancel) and prune (queue::prune, one short
// transaction per batch). Every change can be asked as a dry run, which
// reads the same rows and decides the same way but writes nothing.

#include "briefos/db/session.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace briefos::db::queue_admin {

using Clock = std::chrono::system_clock;
using Time = std::chrono::time_point<Clock, std::chrono::microseconds>;

// One end of a time window: an instant, or an age (seconds before the
// database's now()). Neither set: no bound.
struct Bound {
  std::optional<Time> at;
  std::optional<std::chrono::seconds> ago;
  bool set() const { return at.has_value() || ago.has_value(); }
};

// Which jobs a command works on; every part that is set must match.
// `since` and `before` compare the job's created_at.
struct Filter {
  std::vector<long long> ids;
  std::vector<std::string> types;     // queue_type labels
  std::vector<std::string> statuses;  // queue_status labels
  std::optional<std::string> user_id; // a uuid
  Bound since;                        // created at or after
  Bound before;                       // created before
  int limit = 0;                      // 0: no limit (list only)
};

// A job as the list shows it.
struct JobRow {
  long long id = 0;
  std::string type;
  std::string status;
  std::optional<std::string> user_id;
  int attempts = 0;
  int max_attempts = 0;
  int priority = 0;
  Time created_at{};
  Time scheduled_for{};
  std::optional<Time> completed_at;
  std::optional<std::string> error;
};

// One failed attempt, from the job's error history.
struct Attempt {
  std::optional<long long> attempt;
  std::optional<std::string> at;  // as stored (ISO 8601)
  std::string error;
};

// Every column of one job.
struct JobDetail {
  JobRow row;
  std::optional<std::string> user_email;
  std::optional<std::string> dedup_key;
  std::optional<std::string> locked_by;
  std::optional<Time> locked_until;
  std::optional<Time> started_at;
  Time updated_at{};
  nlohmann::json metadata;
  nlohmann::json result;  // null when none
  std::vector<Attempt> attempts;
};

// The labels of the queue_type enum, in their order.
std::vector<std::string> job_types(Session& session);

// The jobs matching `filter`, newest first, at most filter.limit.
std::vector<JobRow> list(Session& session, const Filter& filter);

// Job `id`, or nothing.
std::optional<JobDetail> show(Session& session, long long id);

// What a retry or cancel did (or, in a dry run, would do) to one job.
struct Change {
  long long id = 0;
  std::string type;
  std::string from_status;
  std::optional<std::string> user_id;
  std::optional<std::string> email_id;  // a retried email job's email
  bool email_reset = false;             // that email went from failed to pending
};

// A job the command was asked to change and did not, with the reason.
struct Refusal {
  long long id = 0;
  std::string reason;
};

struct Outcome {
  std::vector<Change> changed;
  std::vector<Refusal> refused;
};

// The statuses retry and cancel take jobs from.
inline const std::vector<std::string> retryable_statuses{"failed", "cancelled"};
inline const std::vector<std::string> cancellable_statuses{"pending", "processing"};

// Retry the failed or cancelled jobs `filter` names (statuses narrowed to
// filter.statuses when given), in one transaction: each goes back to
// pending, due now, with its attempts reset (its error history kept). An
// email job's email that failed goes back to pending with its failed
// recipients. Refused, with the reason: an email whose recipient bounced or
// whose address is suppressed (resending would defy the suppression), a job
// whose dedup key another active job holds, and (ids only) jobs not found
// or in another status.
Outcome retry(Session& session, const Filter& filter, bool dry_run);

// Cancel the pending or processing jobs `filter` names, with `reason`
// (queue::cancel: a worker holding a processing job loses its fence and
// rolls back). Jobs named by id that are not found or not active are
// refused.
Outcome cancel(Session& session, const Filter& filter, const std::string& reason, bool dry_run);

// Finished jobs prune would delete now, per job type and status.
struct PruneGroup {
  std::string type;
  std::string status;
  long long count = 0;
};
std::vector<PruneGroup> prunable(Session& session, std::chrono::seconds retention);

// One batch of queue::prune in a short transaction of its own; returns how
// many jobs it deleted.
long long prune_batch(Session& session, std::chrono::seconds retention, int batch);

}  // namespace briefos::db::queue_admin
