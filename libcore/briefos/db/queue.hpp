// SPDX-License-Identifier: MIT
#pragma once

// The job queue (queue_jobs): enqueue with dedup, claim with SKIP LOCKED,
// complete and fail fenced by worker and attempt, retry with backoff,
// lease extension and rescue, cancel and prune. Public functions take a
// db::Session or db::Transaction; other stores use the libpqxx-level forms
// in db/detail/queue_sql.hpp. ARCHITECTURE.md ("The queue") has the rules.

#include <nlohmann/json.hpp>
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace briefos::queue {

using Clock = std::chrono::system_clock;

// A job to enqueue. `type` is a queue_type enum label
// ("generate_daily_brief", "generate_brief_email", ...).
struct NewJob {
  std::string type;
  std::optional<std::string> user_id;           // uuid text
  nlohmann::json metadata = nlohmann::json::object();
  int priority = 10;                            // lower runs first
  std::optional<Clock::time_point> scheduled_for;  // default: now
  int max_attempts = 3;
  std::optional<std::string> dedup_key;         // one active job per key
};

// What enqueue did for one NewJob: the id of the inserted job, or of the
// active job that already had the same dedup key (inserted = false).
struct Enqueued {
  long long id = 0;
  bool inserted = false;
};

// A claimed job, as the handler sees it.
struct Job {
  long long id = 0;
  std::string type;
  std::optional<std::string> user_id;
  nlohmann::json metadata;
  int priority = 10;
  int attempts = 0;      // including this run
  int max_attempts = 3;
  std::optional<std::string> dedup_key;
  std::string worker_id;
  Clock::time_point scheduled_for;
  Clock::time_point locked_until;
  Clock::time_point created_at;
};

// Retry delay after failed attempt n (1-based):
//   min(cap, base * 2^(n-1)) * (1 + jitter * u), u uniform in [-1, 1].
// Defaults: base 30 s, cap 1 h, jitter 0.2 (so 30 s, 1 min, 2 min, ...).
struct Backoff {
  std::chrono::seconds base{30};
  std::chrono::seconds cap{3600};
  double jitter = 0.2;
};
std::chrono::milliseconds backoff_delay(int attempt, const Backoff& b, double u);

// How a worker retries the transient failures of its job type: the backoff,
// a limit on attempts, and a retry horizon. Each worker program has its own
// (options --max-attempts, --backoff-base, --backoff-cap, --give-up-after).
struct RetryPolicy {
  Backoff backoff;
  // nullopt: the job's own max_attempts (set when it was queued); 0: no
  // limit by count, only the horizon.
  std::optional<int> max_attempts;
  // A transient failure later than this after the job was queued ends it
  // (0: no horizon).
  std::chrono::seconds give_up_after{0};

  RetryPolicy() = default;
  RetryPolicy(Backoff b) : backoff(b) {}  // a plain backoff: the job's own limit
};

// True if a transient failure of `job` (claimed, attempts counting this run)
// at `now` is its last: the attempts are used up or the horizon has passed.
// fail() decides with this; so does a handler that records the failure in
// its own tables (briefos-email), so both agree.
bool gives_up(const Job& job, const RetryPolicy& policy, Clock::time_point now);

// Validate `job` for its type (metadata keys the handlers need) and throw
// UsageError naming the job and the reason. Called by enqueue.
void validate(const NewJob& job);

// Validate a job already in the table (it may have been inserted by other
// means); throws PermanentError with the reason.
void validate_claimed(const Job& job);

// Enqueue `jobs` in one statement inside the caller's transaction `tx`
// (so a brief and its email job commit together). Duplicates of an active
// job with the same dedup key insert nothing and return the existing id,
// enforced by the partial unique index under any concurrency. Sends
// NOTIFY briefos_jobs when a job is due now. Results are in input order.
std::vector<Enqueued> enqueue(db::Transaction& tx, const std::vector<NewJob>& jobs);

struct ClaimOptions {
  std::vector<std::string> types;           // job types this worker handles
  int limit = 10;
  std::string worker_id;
  std::chrono::seconds lease{300};
};

// Claim up to `limit` due pending jobs in one short transaction of its own
// (FOR UPDATE SKIP LOCKED, ordered by priority, scheduled_for, id): marks
// them processing, attempts + 1, locked_by and locked_until.
std::vector<Job> claim(db::Session& session, const ClaimOptions& opts);

// Claim exactly the jobs `ids` that are pending (due or not, of any type)
// with the same exclusivity; ids already taken by others are skipped, not
// waited for. The worker fails jobs of a type it has no handler for.
std::vector<Job> claim_ids(db::Session& session,
                           const std::vector<long long>& ids,
                           const ClaimOptions& opts);

// Mark `job` completed with `result` inside `tx`. Returns false, and changes
// nothing, if this worker no longer holds the job (lease lost and the job
// rescued or reclaimed): the caller must then roll back its own writes.
bool complete(db::Transaction& tx, const Job& job, const nlohmann::json& result);

// Complete many jobs held by this worker in one statement; returns the ids
// that were still held (the others were lost).
std::vector<long long> complete_many(db::Transaction& tx,
                                     const std::string& worker_id,
                                     const std::vector<std::pair<long long, nlohmann::json>>& results);

// complete() for several jobs in one statement, each fenced like complete()
// by (id, locked_by, attempts). Returns the ids that were still held; the
// caller must roll back its writes for the others.
std::vector<long long> complete_each(db::Transaction& tx,
                                     const std::vector<std::pair<const Job*, nlohmann::json>>& results);

enum class FailKind { transient, permanent };

// What fail() did.
enum class FailOutcome { retried, failed, lost };

// Record a failed attempt: a transient error goes back to pending at now +
// backoff (or + `retry_in` when given) unless gives_up(); a permanent error
// or the last attempt ends as failed. The error is appended to the job's error
// history. Returns lost (changing nothing) if this worker no longer holds it.
FailOutcome fail(db::Transaction& tx,
                 const Job& job,
                 const std::string& error,
                 FailKind kind,
                 const RetryPolicy& policy = {},
                 std::optional<std::chrono::milliseconds> retry_in = std::nullopt);

// Give a job back untouched (graceful shutdown): pending again, the attempt
// not counted. Returns false if no longer held.
bool release(db::Transaction& tx, const Job& job);

// Extend the lease of jobs held by `worker_id` to now + `lease`; returns
// how many are still held.
int extend_leases(db::Transaction& tx,
                  const std::string& worker_id,
                  const std::vector<long long>& ids,
                  std::chrono::seconds lease);

struct RescueCounts {
  long long retried = 0;
  long long failed = 0;
};

// Jobs whose lease expired go back to pending, or to failed when their
// attempts are used up (a job that kills its worker every time ends failed).
RescueCounts rescue_expired(db::Transaction& tx);

// The same at once for every job `worker_id` holds: a worker slot that lost
// its connection and reconnected holds nothing any more, so whatever the
// database still shows locked by it (a claim or a completion whose commit
// it never saw, or that a failover lost) is rescued now rather than when
// its lease expires (and, with it, any other expired lease).
RescueCounts rescue_held_by(db::Transaction& tx, const std::string& worker_id);

// Cancel one job (pending or processing) with `reason`; false if it was not
// active.
bool cancel(db::Transaction& tx, long long id, const std::string& reason);

// Cancel every active generate_daily_brief job of `user_id` for
// `brief_date` (YYYY-MM-DD); returns the cancelled ids.
std::vector<long long> cancel_brief_jobs(db::Transaction& tx,
                                         const std::string& user_id,
                                         const std::string& brief_date,
                                         const std::string& reason);

// Delete up to `batch` finished jobs (completed, failed, cancelled) that
// finished before now - `retention`; returns how many were deleted. Call in
// a loop until it returns less than `batch`.
long long prune(db::Transaction& tx, std::chrono::seconds retention, int batch);

// True if a job with no handler, or one whose metadata fails validation,
// cannot ever succeed.
bool is_permanent(const std::exception& e) noexcept;

// An error a handler throws for a job that must not be retried (bad
// metadata, missing rows): briefos::PermanentError, named here as well.
using PermanentError = briefos::PermanentError;

// Thrown by handlers (through complete() returning false) when the lease was
// lost; the worker rolls back and moves on.
class LeaseLost : public briefos::Error {
public:
  using briefos::Error::Error;
};

}  // namespace briefos::queue
