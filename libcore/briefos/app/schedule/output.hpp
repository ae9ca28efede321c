// SPDX-License-Identifier: MIT
#pragma once

// What briefos-schedule prints: the queued jobs on stdout (a table, or one
// JSON object per line with --json), the one-line summary on stderr, and
// the warnings about preferences that cannot be scheduled.

#include "briefos/app/schedule/options.hpp"
#include "briefos/app/schedule/service.hpp"
#include "briefos/cli.hpp"

#include <string>

namespace briefos::schedule_command {

// Counts invalid preferences and warns about the first
// max_listed_invalid of them by user id; finish() says how many more of
// those to warn about (Counts::invalid less invalid_warned_earlier) were
// not listed.
class Reporter {
public:
  static constexpr long long max_listed_invalid = 20;
  void invalid(Counts& c, const std::string& user_id, const std::string& why);
  void finish(const Counts& c);

private:
  long long m_listed = 0;
};

// The queued jobs (job ids print as null / "-" in a dry run).
void print_jobs(cli::Context& ctx, const Options& o, const db::schedule_store::EnqueueResult& result);

// "briefos-schedule: sweep as of ...: considered N, due N, queued N, ...",
// unless --quiet.
void print_summary(cli::Context& ctx, const Options& o, const Plan& p, const Outcome& outcome);

}  // namespace briefos::schedule_command
