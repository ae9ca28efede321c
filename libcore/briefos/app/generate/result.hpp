// SPDX-License-Identifier: MIT
#pragma once

// What one brief came to on its way through briefos-generate (Made), and
// what that becomes: the rows to store (with the email hand-off rule:
// opted in, not held back, not empty unless --email-empty) and the job's
// result, less what only storing decides (the store adds brief_id, email
// ids and action, its own time). Pure: no database, no clock.

#include "briefos/app/generate/job_spec.hpp"
#include "briefos/brief.hpp"
#include "briefos/db/brief_source.hpp"
#include "briefos/db/brief_store.hpp"
#include "briefos/db/queue.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace briefos::generate {

// Whether and how the LLM analysis went.
enum class LlmStatus { skipped, ok, failed };

// "skipped", "ok", "failed": the word daily_briefs.llm_status and job
// results carry.
const char* to_string(LlmStatus status) noexcept;

struct Made {
  JobSpec spec;
  db::brief_store::BriefSource source;
  brief::BuiltBrief built;
  std::optional<std::string> analysis;
  LlmStatus llm_status = LlmStatus::skipped;
  std::string llm_error;
  double load_ms = 0, build_ms = 0, llm_ms = 0;
};

// The sender and the rule for empty briefs (from the options).
struct EmailSettings {
  std::string from_email;
  std::string from_name;
  bool email_empty = false;
};

// The failed projects of `built` as [{project_id, name, error}].
nlohmann::json failed_projects(const brief::BuiltBrief& built);

// What to store for `m`, built for `job` (started at `started`). The input
// points into `m`, which must outlive it.
db::brief_store::StoreInput store_input(const queue::Job& job, const Made& m, brief::TimePoint started,
                                        const EmailSettings& email);

// The job's result as known before storing; `total_ms` the job's time so
// far (the store adds its own).
nlohmann::json job_result(const Made& m, double total_ms);

}  // namespace briefos::generate
