// SPDX-License-Identifier: MIT
#pragma once

// briefos-schedule's command line: the options as given (Options), their
// CLI11 declarations, and the checked, converted form the service runs on
// (Plan). Everything here is decided before the database is touched.

#include "briefos/cli.hpp"
#include "briefos/util/time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace briefos::schedule_command {

struct Options {
  std::string now;
  bool dry_run = false;
  bool json = false;
  std::string lookahead = "20m";
  std::string lead_time = "2m";
  std::string catch_up = "2h";
  bool engagement_backoff = false;
  std::vector<std::string> users;
  std::string date;
  std::string from;
  std::string to;
  bool force = false;
  bool no_email = false;
  int batch_size = 5000;
  int lock_timeout_s = 30;
  int connections = 2;
};

// Options checked and converted.
struct Plan {
  std::optional<util::Instant> now;
  std::chrono::seconds lookahead{0};
  std::chrono::seconds lead_time{0};
  std::chrono::seconds catch_up{0};
  std::vector<util::Days> dates;  // backfill dates; empty: "today"
  bool backfill = false;
};

// Longest --from/--to span, in days.
inline constexpr int max_backfill_days = 366;

// Declare every option of briefos-schedule on `tool`, bound to `o`.
void add_options(cli::Tool& tool, Options& o);

// Check and convert `o`; throws UsageError naming the option at fault.
Plan check(const Options& o);

}  // namespace briefos::schedule_command
