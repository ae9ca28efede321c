// SPDX-License-Identifier: MIT
//
// briefos-generate's entry point: the run's shape around the service.
//
// Backfill (--user/--date) goes through the queue too, so it can never race
// a worker: it enqueues with the usual dedup key (or, with --force, cancels
// the brief's active jobs and uses a unique key) and then processes exactly
// that job id. --dry-run reads, builds and prints; it claims and writes
// nothing. Otherwise the worker claims generate_daily_brief jobs and hands
// each batch to the service; each finished job is reported on stdout, a
// progress bar on a terminal, and a summary on stderr at the end.
#include "briefos/app/generate/command.hpp"

#include "briefos/app/generate/options.hpp"
#include "briefos/app/generate/output.hpp"
#include "briefos/app/generate/service.hpp"
#include "briefos/brief.hpp"
#include "briefos/db/brief_queue.hpp"
#include "briefos/db/brief_source.hpp"
#include "briefos/db/session.hpp"
#include "briefos/error.hpp"
#include "briefos/jobs.hpp"
#include "briefos/util/progress.hpp"
#include "briefos/util/json_line.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <ostream>

namespace briefos::generate {

namespace {

brief::TimePoint now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// The user of --user, and the brief date: --date, else the user's today.
struct Backfill {
  db::brief_store::UserInfo user;
  std::string zone;
  std::string date;
};

Backfill backfill_target(db::Session& session, const Options& o) {
  const auto u = db::brief_store::find_user(session, o.user);
  if (!u) throw UsageError("no user \"" + o.user + "\"");
  Backfill b{*u, u->has_preferences ? u->timezone : "UTC", o.date};
  return b;
}

int run_dry(cli::Context& ctx, const Options& o, Generator& gen) {
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  std::vector<JobSpec> specs;
  if (!o.user.empty()) {
    const Backfill b = backfill_target(*session, o);
    JobSpec s;
    s.user_id = b.user.user.id;
    s.brief_date = b.date.empty() ? brief::local_date(now_ms(), b.zone) : b.date;
    specs.push_back(s);
  } else {
    const std::vector<db::brief_store::JobInfo> jobs =
        o.worker.mode == worker::Mode::ids
            ? db::brief_store::read_jobs(*session, o.worker.ids)
            : db::brief_store::due_brief_jobs(*session, o.worker.max_jobs > 0 ? o.worker.max_jobs : o.worker.batch);
    for (const auto& j : jobs) {
      if (j.type != jobs::brief_type) {
        spdlog::warn("job {} is a {} job; skipped", j.id, j.type);
        continue;
      }
      specs.push_back(parse_spec(j.metadata, j.user_id));
    }
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const Made m = gen.make(*session, specs[i], false);
    if (specs.size() > 1) {
      ctx.out << (i > 0 ? "\n" : "") << "<!-- user " << specs[i].user_id << ", " << specs[i].brief_date << " -->\n";
    }
    ctx.out << m.built.markdown;
    if (!ctx.quiet) {
      ctx.err << ctx.tool_name << ": dry run: brief of user " << specs[i].user_id << " for " << specs[i].brief_date
              << " (" << m.source.timezone << "): " << m.built.succeeded << " projects, " << m.built.skipped
              << " quiet, " << m.built.failures.size() << " failed" << (m.built.is_empty ? ", empty" : "")
              << "; nothing written\n";
    }
  }
  return exit_ok;
}

// Queue the backfill job of --user/--date and point the worker at it.
void enqueue_backfill(cli::Context& ctx, Options& o) {
  auto session = db::Session::open(ctx.database_url, ctx.tool_name);
  const Backfill target = backfill_target(*session, o);
  if (!brief::is_valid_zone(target.zone)) {
    throw Error("user " + target.user.user.id + " has an unknown time zone \"" + target.zone + "\"",
                "Fix user_brief_preferences.timezone; briefos never falls back to UTC.");
  }
  const std::string date = target.date.empty() ? brief::local_date(now_ms(), target.zone) : target.date;
  const auto b = db::brief_store::enqueue_backfill(*session, target.user.user.id, date, target.zone, o.force);
  if (!b.cancelled.empty()) spdlog::info("cancelled {} active job(s) for this brief", b.cancelled.size());
  if (!b.inserted) spdlog::info("job {} for this brief was already queued; processing it", b.job_id);
  o.worker.mode = worker::Mode::ids;
  o.worker.ids = {b.job_id};
}

int run(cli::Context& ctx, Options& o) {
  validate(o);
  Generator gen(o);
  if (o.dry_run) return run_dry(ctx, o, gen);

  if (!o.user.empty()) enqueue_backfill(ctx, o);
  const bool show_progress = ctx.err_is_tty && !ctx.quiet && !o.no_progress;
  long long total = 0;
  if (o.worker.mode == worker::Mode::ids) {
    total = static_cast<long long>(o.worker.ids.size());
  } else if (o.worker.mode == worker::Mode::drain && show_progress) {
    auto session = db::Session::open(ctx.database_url, ctx.tool_name);
    total = db::brief_store::count_due_brief_jobs(*session);
    if (o.worker.max_jobs > 0) total = std::min(total, o.worker.max_jobs);
  }
  util::Progress progress(ctx.err, show_progress, total, "briefs");
  std::mutex out_mu;
  const auto t0 = std::chrono::steady_clock::now();
  const worker::Reporter reporter = [&](const worker::Report& r) {
    std::lock_guard lock(out_mu);
    if (r.status == worker::Status::released) return;
    progress.clear();
    if (o.json) {
      ctx.out << util::json_line(json_line(r));
    } else {
      ctx.out << human_line(r) << "\n";
    }
    ctx.out.flush();
    progress.tick();
  };
  const worker::BatchHandler handler = [&gen](db::Session& session, const std::vector<const queue::Job*>& jobs) {
    return gen.handle_batch(session, jobs);
  };
  const worker::Totals t = worker::run(ctx.database_url, ctx.tool_name, {jobs::brief_type}, o.worker, handler, reporter);
  progress.clear();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.user.empty() && t.claimed == 0) {
    throw Error("job " + std::to_string(o.worker.ids.front())
                    + " was not pending (another worker has it, or it already finished)",
                "Run again with --force to regenerate the brief.");
  }
  if (!ctx.quiet) print_summary(ctx.err, ctx.tool_name, t, gen.counters(), secs);
  return worker::exit_status(t);
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  add_options(tool, *o);
  return [o](cli::Context& ctx) { return run(ctx, *o); };
}

}  // namespace briefos::generate
