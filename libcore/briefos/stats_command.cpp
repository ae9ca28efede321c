// SPDX-License-Identifier: MIT
//
// briefos-stats: the front of the reports. Policy:
//
// - Every option is validated before the database is contacted, so a typo
//   (--days 0, an unknown --format or --tz, a bad --until) exits 2 at once
//   and never costs a connection; an unknown user exits 2 too, after the
//   look-up.
// - The default format is a table whether or not stdout is a terminal:
//   cron mails, `| less` and `| grep FAIL` are read by people, and scripts
//   should name the format they parse (--format json/csv/prometheus) so that
//   a later change of the human layout cannot break them. What depends on
//   the terminal is only the per-day bar column (--chart auto).
// - --output FILE writes to a temporary file in the same directory and
//   renames it into place, so a reader (node_exporter's textfile collector,
//   a web server) never sees a half-written report.
// - health exits 5 (exit_check_failed) when any check fails, in every
//   format, after printing all checks.
#include "briefos/stats_command.hpp"

#include "briefos/db/connection.hpp"
#include "briefos/db/stats_queries.hpp"
#include "briefos/error.hpp"
#include "briefos/stats.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <unistd.h>

namespace briefos::stats_command {

namespace {

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
  CLI::App* emails = nullptr;
  CLI::App* briefs = nullptr;
  CLI::App* queue = nullptr;
  CLI::App* user_cmd = nullptr;
  CLI::App* health = nullptr;
};

double duration_option(const std::string& name, const std::string& value) {
  const std::optional<double> s = stats::parse_duration(value);
  if (!s || *s <= 0) {
    throw UsageError("invalid value \"" + value + "\" for option " + name
                     + ": expected a positive duration such as 90s, 15m, 2h or 1d");
  }
  return *s;
}

stats::Format format_of(const Options& o) {
  if (o.json && !o.format.empty() && o.format != "json") {
    throw UsageError("--json and --format " + o.format + " cannot be used together");
  }
  if (o.json) return stats::Format::json;
  if (o.format.empty()) return stats::Format::table;
  const auto f = stats::parse_format(o.format);
  if (!f) {
    throw UsageError("invalid value \"" + o.format
                     + "\" for option --format: must be one of table, json, csv, prometheus, html");
  }
  return *f;
}

void write_output(cli::Context& ctx, const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    ctx.out << text;
    return;
  }
  const std::filesystem::path target(path);
  std::filesystem::path tmp = target;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("could not write \"" + tmp.string() + "\": " + std::strerror(errno));
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      throw Error("could not write \"" + tmp.string() + "\": " + std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw Error("could not rename \"" + tmp.string() + "\" to \"" + path + "\": " + reason);
  }
  spdlog::debug("wrote {}", path);
}

int run(cli::Context& ctx, const Options& o) {
  // --- Validate everything before connecting. ---
  stats::RenderOptions render;
  render.format = format_of(o);
  const std::string zone = o.tz.empty() ? stats::default_zone() : o.tz;
  if (!stats::is_valid_zone(zone)) {
    throw UsageError("invalid value \"" + zone + "\" for option --tz: unknown time zone",
                     "Use an IANA zone name such as Europe/Berlin or UTC.");
  }
  if (o.chart == "always") render.chart = true;
  else if (o.chart == "never") render.chart = false;
  else render.chart = ctx.out_is_tty && o.output.empty();
  if (o.days < 1 || o.days > 365) {
    throw UsageError("invalid value \"" + std::to_string(o.days)
                     + "\" for option --days: must be between 1 and 365");
  }
  if (o.top < 1 || o.top > 100) {
    throw UsageError("invalid value \"" + std::to_string(o.top)
                     + "\" for option --top: must be between 1 and 100");
  }
  const stats::Time now = std::chrono::time_point_cast<std::chrono::microseconds>(stats::Clock::now());
  const std::string until = o.until.empty() ? stats::local_date(now, zone) : o.until;
  const std::vector<std::string> dates = stats::date_range(until, o.days);  // validates --until
  db::stats_queries::Window window{dates.front(), until, o.days, zone};

  stats::HealthThresholds thresholds;
  if (o.health->parsed()) {
    thresholds.max_queue_age_seconds = duration_option("--max-queue-age", o.max_queue_age);
    thresholds.failure_window_seconds = duration_option("--failure-window", o.failure_window);
    thresholds.max_brief_age_seconds = duration_option("--max-brief-age", o.max_brief_age);
    char* end = nullptr;
    const double rate = std::strtod(o.max_failure_rate.c_str(), &end);
    if (o.max_failure_rate.empty() || end == nullptr || *end != '\0' || !(rate >= 0.0 && rate <= 1.0)) {
      throw UsageError("invalid value \"" + o.max_failure_rate
                       + "\" for option --max-failure-rate: must be a number between 0 and 1");
    }
    thresholds.max_failure_rate = rate;
  }
  if (o.user_cmd->parsed() && render.format == stats::Format::prometheus) {
    throw UsageError("the user report has no prometheus format", "Use --format table, json, csv or html.");
  }

  // --- Read and render. ---
  auto cx = db::connect(ctx.database_url, ctx.tool_name);
  stats::Meta meta;
  meta.zone = zone;
  std::string text;
  int status = exit_ok;
  auto with_window = [&](const std::string& report) {
    meta.report = report;
    meta.days = o.days;
    meta.from = window.from;
    meta.until = window.until;
  };
  if (o.emails->parsed()) {
    auto snap = db::stats_queries::emails(*cx, window, o.by_variant);
    with_window("emails");
    meta.generated_at = snap.as_of;
    text = stats::render(snap.report, meta, render);
  } else if (o.briefs->parsed()) {
    auto snap = db::stats_queries::briefs(*cx, window);
    with_window("briefs");
    meta.generated_at = snap.as_of;
    text = stats::render(snap.report, meta, render);
  } else if (o.queue->parsed()) {
    auto snap = db::stats_queries::queue(*cx, o.top);
    meta.report = "queue";
    meta.generated_at = snap.as_of;
    text = stats::render(snap.report, meta, render);
  } else if (o.user_cmd->parsed()) {
    auto snap = db::stats_queries::user(*cx, o.user, window);
    with_window("user");
    meta.generated_at = snap.as_of;
    text = stats::render(snap.report, meta, render);
  } else {
    auto snap = db::stats_queries::health(*cx, thresholds.failure_window_seconds);
    meta.report = "health";
    meta.generated_at = snap.as_of;
    const stats::HealthReport report = stats::evaluate_health(snap.report, thresholds);
    text = stats::render(report, meta, render);
    if (!report.ok()) {
      status = exit_check_failed;
      std::size_t failed = 0;
      for (const auto& c : report.checks) failed += c.ok ? 0 : 1;
      if (!ctx.quiet) spdlog::warn("{} of {} health checks failed", failed, report.checks.size());
    }
  }
  write_output(ctx, o.output, text);
  return status;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  CLI::App& app = tool.app();
  app.require_subcommand(1, 1);
  app.fallthrough();
  app.footer("Reports: emails, briefs, queue, user ID|EMAIL, health.\n"
             "See briefos-stats(1) for every metric.");
  app.add_option("-f,--format", o->format, "table (default), json, csv, prometheus, html")
      ->type_name("FORMAT");
  app.add_flag("--json", o->json, "Same as --format json");
  CLI::Option* tz = app.add_option("--tz", o->tz, "Time zone for days and times (default: system)")
                        ->type_name("ZONE");
  tool.bind_env(tz, {"BRIEFOS_STATS_TZ"});
  app.add_option("-o,--output", o->output, "Write the report to FILE (atomically)")
      ->type_name("FILE");
  app.add_option("--chart", o->chart, "Bar column in tables: auto, always, never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  auto add_days = [&](CLI::App* sub) {
    sub->add_option("--days", o->days, "Days to report, 1..365")->type_name("N");
    sub->add_option("--until", o->until, "Last day of the window (default: today)")->type_name("DATE");
  };
  o->emails = app.add_subcommand("emails", "Daily-brief emails per day");
  add_days(o->emails);
  o->emails->add_flag("--by-variant", o->by_variant, "Split sent and open rate by subject variant");
  o->briefs = app.add_subcommand("briefs", "Daily briefs per brief date");
  add_days(o->briefs);
  o->queue = app.add_subcommand("queue", "Job queue per job type, and recent failures");
  o->queue->add_option("--top", o->top, "Error messages shown per job type, 1..100")->type_name("N");
  o->user_cmd = app.add_subcommand("user", "A user's briefs and what became of their emails");
  o->user_cmd->add_option("user", o->user, "User id or email address")->type_name("ID|EMAIL")->required();
  add_days(o->user_cmd);
  o->health = app.add_subcommand("health", "Health checks; exit 5 when one fails");
  o->health->add_option("--max-queue-age", o->max_queue_age, "Fail if a due job waited longer")
      ->type_name("DURATION");
  o->health->add_option("--max-failure-rate", o->max_failure_rate, "Fail if more jobs failed (0..1)")
      ->type_name("RATIO");
  o->health->add_option("--failure-window", o->failure_window, "Period of the failure rate")
      ->type_name("DURATION");
  o->health->add_option("--max-brief-age", o->max_brief_age, "Fail if no brief was generated since")
      ->type_name("DURATION");

  return [o](cli::Context& ctx) -> int { return run(ctx, *o); };
}

}  // namespace briefos::stats_command
