// SPDX-License-Identifier: MIT
#pragma once

// What briefos-generate writes: one line per finished job on stdout (a
// --json object or a human line), and the summary of the run on stderr.

#include "briefos/app/generate/service.hpp"
#include "briefos/worker.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace briefos::generate {

// The --json line of one job: job_id, user_id, brief_id, brief_date,
// email_id, email_job_id, status (a lost or released job is "retrying"),
// projects, llm, duration_ms, and error unless completed.
nlohmann::ordered_json json_line(const worker::Report& r);

// The human line of one job (the --json line's fields, in columns).
std::string human_line(const worker::Report& r);

// "<tool>: N brief(s) completed, ... in T ms (R/s); E email(s) queued; LLM
// ok .., failed .., skipped ..[; P project(s) left out]".
void print_summary(std::ostream& err, const std::string& tool_name, const worker::Totals& totals,
                   const Counters& counters, double seconds);

}  // namespace briefos::generate
