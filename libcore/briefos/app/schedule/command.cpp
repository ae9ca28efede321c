// SPDX-License-Identifier: MIT
//
// briefos-schedule's entry point: options checked before the database is
// touched, one session, the sweep or backfill (service.cpp), and the
// output once it committed. Exit status 1 when a preference could not be
// scheduled, so cron and monitoring notice.
#include "briefos/app/schedule/command.hpp"

#include "briefos/app/schedule/options.hpp"
#include "briefos/app/schedule/output.hpp"
#include "briefos/app/schedule/service.hpp"
#include "briefos/error.hpp"
#include "briefos/util/progress.hpp"

#include <memory>

namespace briefos::schedule_command {

namespace {

int run(cli::Context& ctx, const Options& o) {
  const Plan p = check(o);
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  const db::schedule_store::Shares shares{ctx.database_url, ctx.tool_name, o.connections, o.dry_run};
  // A backfill of every user goes in batches: on a terminal, a progress
  // line (util/progress.hpp, as generate and email draw).
  util::Progress progress(ctx.err, ctx.err_is_tty && !ctx.quiet && p.backfill, 0, "users");
  const Outcome outcome =
      schedule_command::run(*session, o, p, shares, [&](long long users) { progress.advance(users); });
  progress.clear();
  // Printed only after the commit: every job id on stdout exists.
  print_jobs(ctx, o, outcome.result);
  print_summary(ctx, o, p, outcome);
  return outcome.counts.invalid > 0 ? exit_failure : exit_ok;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  add_options(tool, *o);
  return [o](cli::Context& ctx) -> int { return run(ctx, *o); };
}

}  // namespace briefos::schedule_command
