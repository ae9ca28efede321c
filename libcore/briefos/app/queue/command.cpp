// SPDX-License-Identifier: MIT
//
// briefos-queue's entry point. Options are checked before the database is
// contacted (options.cpp); then one session runs the command and the
// result is written (output.cpp). Exit statuses: 0 done (a filter that
// matches nothing is done too: running a change twice is harmless); 1 a
// job named by id was not found, or a job could not be changed (wrong
// status, refused: see the warnings), or `show` found no such job; 2 usage
// (bad option, unknown type or user, a change without a filter or --all);
// 3 the database could not be reached; 130 prune interrupted between
// batches.
#include "briefos/app/queue/command.hpp"

#include "briefos/app/queue/options.hpp"
#include "briefos/app/queue/output.hpp"
#include "briefos/app/queue/service.hpp"
#include "briefos/db/queue_admin.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"
#include "briefos/util/progress.hpp"

#include <memory>

namespace briefos::app::queue {

namespace qa = db::queue_admin;

namespace {

Time now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

int run(cli::Context& ctx, const Request& r) {
  const auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  switch (r.command) {
    case Command::list:
      ctx.out << render_list(qa::list(*session, resolve(*session, r)), r, now());
      return exit_ok;
    case Command::show: {
      const auto job = qa::show(*session, r.id);
      if (!job) throw Error("no job " + std::to_string(r.id), "It may have been pruned; `briefos-queue list` lists jobs.");
      ctx.out << render_show(*job, r, now());
      return exit_ok;
    }
    case Command::retry:
    case Command::cancel: {
      const qa::Filter f = resolve(*session, r);
      const qa::Outcome outcome = r.command == Command::retry ? qa::retry(*session, f, r.dry_run)
                                                              : qa::cancel(*session, f, r.reason, r.dry_run);
      ctx.out << change_lines(outcome, r);
      report_outcome(ctx, outcome, r);
      return outcome.refused.empty() ? exit_ok : exit_failure;
    }
    case Command::prune: {
      if (r.dry_run) {
        const auto groups = qa::prunable(*session, r.retention);
        long long total = 0;
        for (const auto& g : groups) total += g.count;
        ctx.out << prune_groups(groups, r);
        report_prune(ctx, r, total, 0);
        return exit_ok;
      }
      // A prune of millions of jobs takes minutes: on a terminal, a
      // progress line (the total is not counted first: that is a scan).
      util::Progress progress(ctx.err, ctx.err_is_tty && !ctx.quiet, 0, "jobs");
      const Pruned p = prune(*session, r, [&](int batch, long long deleted) {
        progress.clear();
        ctx.out << prune_batch_line(batch, deleted, r) << std::flush;
        progress.advance(deleted);
      });
      progress.clear();
      report_prune(ctx, r, p.deleted, p.batches);
      return p.interrupted ? exit_interrupted : exit_ok;
    }
  }
  return exit_ok;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto options = std::make_shared<Options>();
  declare(tool, *options);
  return [options](cli::Context& ctx) -> int { return run(ctx, validate(*options)); };
}

}  // namespace briefos::app::queue
