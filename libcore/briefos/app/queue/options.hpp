// SPDX-License-Identifier: MIT
#pragma once

// briefos-queue's command line: the subcommands list, show, retry, cancel
// and prune with their filters, as CLI11 declarations, and their checks
// into a Request, the checked description of the one command to run.
// Validation needs no database (job types and users are checked by the
// service against the database).

#include "briefos/cli.hpp"
#include "briefos/db/queue_admin.hpp"
#include "briefos/stats/render.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace briefos::app::queue {

// The flags as parsed, not yet checked.
struct Options {
  std::string format;
  bool json = false;
  std::string tz;
  std::vector<std::string> ids;  // positional: retry, cancel; show's one id
  std::vector<std::string> types;
  std::vector<std::string> statuses;
  std::string user;
  std::string since;
  std::string older_than;
  int limit = 100;
  bool all = false;
  bool dry_run = false;
  std::string reason = "cancelled by briefos-queue";
  std::string retention = "14d";
  int batch_size = 10000;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* retry = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* prune = nullptr;
};

// Declare the subcommands and options on `tool`, bound to `options` (which
// must outlive the parse).
void declare(cli::Tool& tool, Options& options);

enum class Command { list, show, retry, cancel, prune };

// "list", "retry", ...
std::string to_string(Command command);

// One command to run, every value checked.
struct Request {
  Command command = Command::list;
  briefos::stats::Format format = briefos::stats::Format::table;
  std::string zone;
  db::queue_admin::Filter filter;  // user_id not yet resolved
  std::string user;                // --user as given (id or email), "" for none
  long long id = 0;                // show
  bool dry_run = false;
  std::string reason;              // cancel
  std::chrono::seconds retention{14 * 24 * 3600};  // prune
  int batch_size = 10000;                           // prune
};

// Check `options` and turn them into a Request. Throws UsageError naming
// the first bad flag; a change (retry, cancel) with neither job ids nor a
// filter is refused unless --all was given.
Request validate(const Options& options);

}  // namespace briefos::app::queue
