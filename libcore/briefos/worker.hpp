// SPDX-License-Identifier: MIT
#pragma once

// The worker loop shared by briefos-generate and briefos-email: slots that
// claim batches of one job type, run a handler on each job (or a batch
// handler on the whole batch), record outcomes, extend leases, rescue the
// expired, and wind down on SIGINT/SIGTERM. Handlers get a db::Session;
// outcomes are worker::Status. worker.cpp has the policy in full.

#include "briefos/db/queue.hpp"

#include "briefos/db/session.hpp"

#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace briefos::worker {

// What a handler made of one job.
struct Outcome {
  enum class Kind {
    completed,    // done; the worker records it (batched) unless `recorded`
    retry,        // transient failure: retry with backoff
    failed,       // permanent failure: do not retry
    unavailable,  // a service the job needs is down (the mail relay): the
                  // job and the rest of the batch go back, no attempt used,
                  // and every slot pauses before claiming again (see
                  // Options::max_outage)
    interrupted,  // the handler stopped the job for shutdown: it goes back,
                  // no attempt used
  };
  Kind kind = Kind::completed;
  nlohmann::json result = nlohmann::json::object();
  std::string error;
  // The handler already called queue::complete() in its own transaction
  // (together with its domain writes); the worker only counts it.
  bool recorded = false;
  // The handler will record the job (domain writes and completion) in a
  // later BatchHooks::flush; the worker reports it when that flush says so.
  bool deferred = false;
  std::optional<std::chrono::milliseconds> retry_in;

  static Outcome done(nlohmann::json r, bool recorded_in_tx) {
    Outcome o;
    o.result = std::move(r);
    o.recorded = recorded_in_tx;
    return o;
  }
  static Outcome transient(std::string e) {
    Outcome o;
    o.kind = Kind::retry;
    o.error = std::move(e);
    return o;
  }
  static Outcome permanent(std::string e) {
    Outcome o;
    o.kind = Kind::failed;
    o.error = std::move(e);
    return o;
  }
  static Outcome unavailable(std::string e) {
    Outcome o;
    o.kind = Kind::unavailable;
    o.error = std::move(e);
    return o;
  }
  static Outcome interrupted(std::string e) {
    Outcome o;
    o.kind = Kind::interrupted;
    o.error = std::move(e);
    return o;
  }
};

// Handles one claimed job on the slot's own connection. A handler that
// writes domain data opens a transaction, writes, calls queue::complete()
// in the same transaction (throwing queue::LeaseLost if it returns false),
// commits, and returns Outcome::done(result, true). Exceptions count as
// transient failures, queue::PermanentError as permanent ones.
using Handler = std::function<Outcome(db::Session& session, const queue::Job& job)>;

// What a batch handler made of one job of the batch: the outcome, or the
// exception the job's handling ended with (classified exactly as a
// Handler's: queue::LeaseLost as lost, queue::PermanentError as permanent,
// a lost connection ends the slot, anything else is transient), and the
// seconds spent on the job (its share of work done for the whole batch).
struct BatchItem {
  Outcome outcome;
  std::exception_ptr error;
  double seconds = 0;
  // The handler stopped before this job (shutdown was requested): the
  // worker gives it back untouched, as the unstarted rest of a batch.
  bool not_started = false;
};

// Handles every job of a claimed batch at once (one set of statements for
// the whole batch instead of one per job), returning one item per job, in
// order. It receives only jobs that passed the worker's own checks (type,
// metadata), so the vector may be shorter than the claimed batch. It must
// isolate failures per job: one job's bad data must not fail the others.
// Throwing fails every job of the batch with that exception.
using BatchHandler =
    std::function<std::vector<BatchItem>(db::Session& session, const std::vector<const queue::Job*>& jobs)>;

// The final state of one job in this run.
enum class Status {
  completed,  // done and recorded
  retrying,   // failed this time, pending again with backoff
  failed,     // failed for good
  lost,       // the lease was lost (expired and rescued, or cancelled)
  released,   // given back unstarted (shutdown)
};

// "completed", "retrying", ...: the word --json lines and summaries print.
const char* to_string(Status status) noexcept;

// Called after each job with its final state (for --json lines and
// summaries); may be called from several threads, one at a time.
struct Report {
  const queue::Job* job = nullptr;
  Status status = Status::completed;
  nlohmann::json result;
  std::string error;
  double seconds = 0;
};
using Reporter = std::function<void(const Report&)>;

// Optional hooks for a handler that works on a claimed batch as a whole
// (briefos-email: one statement marks the batch 'sending', one records a
// group of deliveries). All run on the slot's thread and connection.
struct BatchHooks {
  enum class Flush { if_due, now };
  // A deferred job the flush recorded: `held` false if its lease was lost.
  struct Recorded {
    long long job_id = 0;
    bool held = true;
    nlohmann::json result;
  };
  // Called with each claimed batch before its first job.
  std::function<void(db::Session&, const std::vector<queue::Job>&)> begin;
  // Record deferred jobs: all of them with Flush::now, else only when the
  // handler's own limits (count, age) say so. Called after every job and at
  // the end of every batch.
  std::function<std::vector<Recorded>(db::Session&, Flush)> flush;
  // Called at the end of every batch with the jobs the slot did not start
  // (shutdown, limits), before they are released; also forgets anything
  // begin() prepared for them.
  std::function<void(db::Session&, const std::vector<queue::Job>&)> end;
};

enum class Mode {
  once,         // claim one batch per slot, process it, exit
  drain,        // until nothing is due
  run,          // long-running until signalled or a limit is hit
  ids,          // exactly the given job ids (pipelines)
};

struct Options {
  Mode mode = Mode::run;     // long-running unless --drain, --once or --jobs
  int concurrency = 1;        // job slots, each with its own connection
  int batch = 10;             // jobs claimed per statement
  std::chrono::seconds lease{300};
  queue::RetryPolicy retry;   // transient failures: backoff, attempts, horizon
  // After an `unavailable` outcome every slot waits before claiming again:
  // outage_pause doubling per consecutive one, capped at the backoff cap. A
  // completed job ends the outage. After `max_outage` consecutive ones the
  // run stops (Totals::outage; 0: never, keep pausing and trying).
  int max_outage = 0;
  std::chrono::milliseconds outage_pause{1000};
  // After losing the database connection mid-run (a restart, a failover),
  // keep reconnecting for this long (0.5 s between attempts, doubling to
  // 10 s), then stop with DatabaseUnreachable (exit 3). 0: stop at once.
  // A slot that reconnects rescues the jobs it held (their transactions
  // were lost or their outcome unknown): they are done again.
  std::chrono::seconds reconnect_for{0};
  long long max_jobs = 0;     // 0 = no limit
  std::chrono::seconds max_runtime{0};  // 0 = no limit
  std::chrono::milliseconds poll{2000}; // backstop poll when idle (run mode)
  std::chrono::seconds shutdown_grace{30};
  std::vector<long long> ids; // Mode::ids
  std::string worker_id;      // default host:pid
};

struct Totals {
  long long claimed = 0;
  long long completed = 0;
  long long retried = 0;
  long long failed = 0;
  long long lost = 0;
  long long released = 0;
  long long rescued = 0;
  bool interrupted = false;
  // The run stopped after Options::max_outage consecutive `unavailable`
  // outcomes, or ended while the outage lasted; `outage_error` says the last.
  bool outage = false;
  std::string outage_error;
};

// Add the shared worker options (--drain, --once, --jobs, --concurrency,
// --batch, --lease, --max-jobs, --max-runtime, --poll-interval,
// --reconnect-for, and the
// retry policy: --max-attempts, --backoff-base, --backoff-cap,
// --give-up-after) to `app`. The values in `opts` on entry are the
// program's defaults (per job type), shown in --help.
// `jobs_from` receives the value of --jobs ("-" for stdin).
void add_options(CLI::App& app, Options& opts, std::string& jobs_from);

// Read job ids from `in`: one per line, either a bare id or a JSON object
// with a "job_id" key (the --json lines of the previous program). Lines that
// are neither are reported and skipped.
std::vector<long long> read_job_ids(std::istream& in);

// Run the worker loop for `types` with `handler` until the mode's end, a
// limit, or SIGINT/SIGTERM (stop claiming, let in-flight jobs finish within
// the grace period, release the rest). Rescues expired leases first.
// Throws DatabaseUnreachable if the database cannot be reached at start.
Totals run(const std::string& database_url,
           const std::string& application_name,
           const std::vector<std::string>& types,
           const Options& opts,
           const Handler& handler,
           const Reporter& reporter,
           const BatchHooks& hooks = {});

// The same with a batch handler: each claimed batch goes to `batch_handler`
// in one call. On SIGINT/SIGTERM a batch already handed over is finished.
Totals run(const std::string& database_url,
           const std::string& application_name,
           const std::vector<std::string>& types,
           const Options& opts,
           const BatchHandler& batch_handler,
           const Reporter& reporter);

}  // namespace briefos::worker

namespace briefos::worker {

// The documented exit status of a worker run: 130 when interrupted before
// the work was done, 6 when it stopped (or ended) in an outage of a service
// the jobs need, 1 when some job failed or will be retried, else 0.
int exit_status(const Totals& totals);

// If `jobs_from` is set ("-" or a file), read the ids and switch `opts` to
// Mode::ids. Throws UsageError for an unreadable file.
void resolve_jobs(Options& opts, const std::string& jobs_from);

}  // namespace briefos::worker
