// SPDX-License-Identifier: MIT
#pragma once

// briefos-stats's command line: the reports (subcommands emails, briefs,
// queue, user, health) and options as CLI11 declarations, and their
// validation into a Request, the checked description of the one report to
// produce. Validation needs no database.

#include "briefos/cli.hpp"
#include "briefos/db/stats_queries.hpp"
#include "briefos/stats/health.hpp"
#include "briefos/stats/render.hpp"
#include "briefos/stats/user_report.hpp"

#include <string>

namespace briefos::app::stats {

// The flags as parsed, not yet checked.
struct Options {
  std::string format;
  bool json = false;
  std::string tz;
  std::string output;
  std::string chart = "auto";
  int days = 7;
  std::string until;
  bool by_variant = false;
  int top = 5;
  std::string user;
  std::string max_queue_age = "15m";
  std::string max_failure_rate = "0.1";
  std::string failure_window = "24h";
  std::string max_brief_age = "25h";
  long long max_invalid_zones = 0;
  std::string max_replica_lag = "5m";
  CLI::App* emails = nullptr;
  CLI::App* briefs = nullptr;
  CLI::App* queue = nullptr;
  CLI::App* user_cmd = nullptr;
  CLI::App* health = nullptr;
};

// Declare the subcommands and options on `tool`, bound to `options` (which
// must outlive the parse).
void declare(cli::Tool& tool, Options& options);

enum class Report { emails, briefs, queue, user, health };

// One report to produce, every value checked.
struct Request {
  Report report = Report::health;
  briefos::stats::RenderOptions render;
  db::stats_queries::Window window;  // zone is the --tz zone (or the system's)
  bool by_variant = false;
  int top = 5;
  std::string user;
  briefos::stats::UserWindowRequest user_window;  // the user report's zone and dates, chosen with the user
  briefos::stats::HealthThresholds thresholds;
  std::string output;  // "" or "-" for stdout
};

// Check `options` (parsed into `options`' subcommand) and turn them into a
// Request. Throws UsageError naming the first bad flag.
Request validate(const Options& options, const cli::Context& ctx);

}  // namespace briefos::app::stats
