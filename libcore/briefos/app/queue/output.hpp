// SPDX-License-Identifier: MIT
#pragma once

// What briefos-queue prints. Results go to stdout in the request's format
// (briefos-stats's table, json and csv writers show the list and a job);
// a changing command prints one line per job it changed (or, in a dry run,
// would change), refusals are warnings, and a one-line summary goes to
// stderr unless --quiet.

#include "briefos/app/queue/options.hpp"
#include "briefos/cli.hpp"
#include "briefos/db/queue_admin.hpp"

#include <string>
#include <vector>

namespace briefos::app::queue {

using Time = db::queue_admin::Time;

// The jobs of `list` as of `now`.
std::string render_list(const std::vector<db::queue_admin::JobRow>& jobs, const Request& request, Time now);

// One job (`show`) as of `now`: table or json.
std::string render_show(const db::queue_admin::JobDetail& job, const Request& request, Time now);

// One line per changed job of a retry or cancel (table: a sentence; json:
// an object per line; csv: a header and a row per job), "" when none.
std::string change_lines(const db::queue_admin::Outcome& outcome, const Request& request);

// Log each refusal as a warning and write the summary to ctx.err.
void report_outcome(cli::Context& ctx, const db::queue_admin::Outcome& outcome, const Request& request);

// Prune: the dry run's counts per job type and status, and one line per
// deleted batch.
std::string prune_groups(const std::vector<db::queue_admin::PruneGroup>& groups, const Request& request);
std::string prune_batch_line(int batch, long long deleted, const Request& request);
void report_prune(cli::Context& ctx, const Request& request, long long deleted, int batches);

}  // namespace briefos::app::queue
