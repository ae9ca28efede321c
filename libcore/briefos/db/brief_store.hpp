// SPDX-License-Identifier: MIT
#pragma once

// Storing finished briefs: the brief, its project briefs, the email
// hand-off, and the completion of the job that built it, as one unit of
// work the store owns. A brief is always stored as part of a batch (one
// brief is a batch of one).

#include "briefos/brief.hpp"
#include "briefos/db/queue.hpp"
#include "briefos/db/session.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::brief_store {

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

// What the email rule did for a brief that asked for an email.
enum class EmailAction {
  none,       // no email was asked for
  created,    // a new email, recipient and job
  reused,     // a pending email of this brief gets the new content
  kept_sent,  // already sent; not sent again
  in_flight,  // being sent right now; left alone
};

// "created", "reused", ... (empty for none): the word job results carry.
const char* to_string(EmailAction action) noexcept;

struct StoreResult {
  std::string brief_id;
  bool replaced = false;  // an earlier brief for (user, date) existed
  bool changed = true;    // summary differs from the one it replaced
  std::vector<std::string> project_brief_ids;
  std::optional<std::string> email_id;
  std::optional<long long> email_job_id;
  EmailAction email_action = EmailAction::none;
};

// One brief to store and the claimed job it completes. `result` is the
// job's result as the caller knows it before storing; the store adds what
// storing decided (see store_and_complete).
struct Completion {
  const queue::Job* job = nullptr;
  const StoreInput* input = nullptr;
  nlohmann::json result = nlohmann::json::object();
};

// What store_and_complete did for one Completion: the stored rows and the
// result recorded on the job.
struct Completed {
  StoreResult stored;
  nlohmann::json result;
};

// In ONE transaction on `session`: store every brief of `batch` (the
// daily_briefs upsert, the project briefs, the new emails with their
// recipients, the reused emails and the email jobs are one statement each
// for the whole batch; rows are written in (user, date) order, so that two
// batches lock them in the same order), then complete every job in one
// statement, then commit. Each job's recorded result is its `result` with
// "brief_id", "replaced", "email_id", "email_job_id" set from the stored
// brief, "email_action" set when an email was asked for, and
// "timing_ms"."store" (this brief's share of the time storing took) set and
// added to "timing_ms"."total".
//
// The daily_briefs row is upserted in place (same id), so readers see the
// old brief until the commit and the new one after. Throws
// queue::LeaseLost (and rolls everything back) when any of the jobs is no
// longer held by this worker, std::invalid_argument when two items are the
// same brief (user, date); any other error rolls back too. Either way the
// caller can store the briefs one at a time instead, which isolates the
// failing one.
std::vector<Completed> store_and_complete(Session& session, const std::vector<Completion>& batch);

// pg_notify('briefos_events', payload) outside any transaction, after the
// brief committed; failures are logged, never thrown.
void notify_event(Session& session, const nlohmann::json& payload);

}  // namespace briefos::db::brief_store
