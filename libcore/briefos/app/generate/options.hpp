// SPDX-License-Identifier: MIT
#pragma once

// briefos-generate's options: their declaration on the command line (with
// the shared worker options) and the checks across them that CLI11 cannot
// express.

#include "briefos/cli.hpp"
#include "briefos/worker.hpp"

#include <string>
#include <vector>

namespace briefos::generate {

struct Options {
  worker::Options worker;
  std::string jobs_from;
  std::string user;  // backfill: uuid or email
  std::string date;  // backfill: YYYY-MM-DD
  bool force = false;
  bool dry_run = false;
  bool json = false;
  bool email_empty = false;
  std::string email_from = "briefs@localhost";
  std::string email_from_name = "briefos";
  bool holidays = false;
  std::string llm_url;
  bool allow_insecure_http = false;  // http:// --llm-url to another host
  std::vector<std::string> llm_models;
  std::string llm_api_key_file;
  double llm_timeout_s = 60;
  int llm_max_in_flight = 16;
  bool notify_events = false;
  int overdue_limit = 10;
  bool no_progress = false;
};

// Declare every option of briefos-generate on `tool`, bound to `o`.
void add_options(cli::Tool& tool, Options& o);

// Check the options against each other (--date needs --user, ...), the
// sender address and the job ids of --jobs (read into o.worker). Throws
// UsageError.
void validate(Options& o);

}  // namespace briefos::generate
