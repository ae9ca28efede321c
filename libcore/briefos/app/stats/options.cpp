// SPDX-License-Identifier: MIT
//
// briefos-stats's options and their checks. Policy:
//
// - Every option is validated before the database is contacted, so a typo
//   (--days 0, an unknown --format or --tz, a bad --until) exits 2 at once
//   and never costs a connection; an unknown user exits 2 too, after the
//   look-up (db/stats_user_query.cpp).
// - The user report shows times in the user's zone unless --tz (or
//   BRIEFOS_STATS_TZ) names one, and always picks its dates in the user's
//   zone: the zone is known only once the user is read, so the request
//   carries the operator's choices (stats::UserWindowRequest) and the
//   look-up applies them (stats::user_window).
// - The default format is a table whether or not stdout is a terminal:
//   cron mails, `| less` and `| grep FAIL` are read by people, and scripts
//   should name the format they parse (--format json/csv/prometheus) so that
//   a later change of the human layout cannot break them. What depends on
//   the terminal is only the per-day bar column (--chart auto).
#include "briefos/app/stats/options.hpp"

#include "briefos/error.hpp"
#include "briefos/stats/time.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>

namespace briefos::app::stats {

namespace st = briefos::stats;

namespace {

double duration_option(const std::string& name, const std::string& value) {
  const std::optional<double> s = st::parse_duration(value);
  if (!s || *s <= 0) {
    throw UsageError("invalid value \"" + value + "\" for option " + name
                     + ": expected a positive duration such as 90s, 15m, 2h or 1d");
  }
  return *s;
}

st::Format format_of(const Options& o) {
  if (o.json && !o.format.empty() && o.format != "json") {
    throw UsageError("--json and --format " + o.format + " cannot be used together");
  }
  if (o.json) return st::Format::json;
  if (o.format.empty()) return st::Format::table;
  const auto f = st::parse_format(o.format);
  if (!f) {
    throw UsageError("invalid value \"" + o.format
                     + "\" for option --format: must be one of table, json, csv, prometheus, html");
  }
  return *f;
}

st::HealthThresholds thresholds_of(const Options& o) {
  st::HealthThresholds t;
  t.max_queue_age_seconds = duration_option("--max-queue-age", o.max_queue_age);
  t.failure_window_seconds = duration_option("--failure-window", o.failure_window);
  t.max_brief_age_seconds = duration_option("--max-brief-age", o.max_brief_age);
  t.max_replica_lag_seconds = duration_option("--max-replica-lag", o.max_replica_lag);
  char* end = nullptr;
  const double rate = std::strtod(o.max_failure_rate.c_str(), &end);
  if (o.max_failure_rate.empty() || end == nullptr || *end != '\0' || !(rate >= 0.0 && rate <= 1.0)) {
    throw UsageError("invalid value \"" + o.max_failure_rate
                     + "\" for option --max-failure-rate: must be a number between 0 and 1");
  }
  t.max_failure_rate = rate;
  if (o.max_invalid_zones < 0) {
    throw UsageError("invalid value \"" + std::to_string(o.max_invalid_zones)
                     + "\" for option --max-invalid-zones: must be 0 or more");
  }
  t.max_invalid_zones = o.max_invalid_zones;
  return t;
}

Report report_of(const Options& o) {
  if (o.emails->parsed()) return Report::emails;
  if (o.briefs->parsed()) return Report::briefs;
  if (o.queue->parsed()) return Report::queue;
  if (o.user_cmd->parsed()) return Report::user;
  return Report::health;
}

}  // namespace

void declare(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  app.require_subcommand(1, 1);
  app.fallthrough();
  app.footer("Reports: emails, briefs, queue, user ID|EMAIL, health.\n"
             "See briefos-stats(1) for every metric.");
  app.add_option("-f,--format", o.format, "table (default), json, csv, prometheus, html")
      ->type_name("FORMAT");
  app.add_flag("--json", o.json, "Same as --format json");
  CLI::Option* tz = app.add_option("--tz", o.tz, "Time zone (default: system; user: the user's)")
                        ->type_name("ZONE");
  tool.bind_env(tz, {"BRIEFOS_STATS_TZ"});
  app.add_option("-o,--output", o.output, "Write the report to FILE (atomically)")
      ->type_name("FILE");
  app.add_option("--chart", o.chart, "Bar column in tables: auto, always, never")
      ->type_name("WHEN")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  auto add_days = [&](CLI::App* sub) {
    sub->add_option("--days", o.days, "Days to report, 1..365")->type_name("N");
    sub->add_option("--until", o.until, "Last day of the window (default: today)")->type_name("DATE");
  };
  o.emails = app.add_subcommand("emails", "Daily-brief emails per day");
  add_days(o.emails);
  o.emails->add_flag("--by-variant", o.by_variant, "Split sent and open rate by subject variant");
  o.briefs = app.add_subcommand("briefs", "Daily briefs per brief date");
  add_days(o.briefs);
  o.queue = app.add_subcommand("queue", "Job queue per job type, and recent failures");
  o.queue->add_option("--top", o.top, "Error messages shown per job type, 1..100")->type_name("N");
  o.user_cmd = app.add_subcommand("user", "A user's briefs and what became of their emails");
  o.user_cmd->add_option("user", o.user, "User id or email address")->type_name("ID|EMAIL")->required();
  add_days(o.user_cmd);
  o.health = app.add_subcommand("health", "Health checks; exit 5 when one fails");
  o.health->add_option("--max-queue-age", o.max_queue_age, "Fail if a due job waited longer")
      ->type_name("DURATION");
  o.health->add_option("--max-failure-rate", o.max_failure_rate, "Fail if more jobs failed (0..1)")
      ->type_name("RATIO");
  o.health->add_option("--failure-window", o.failure_window, "Period of the failure rate")
      ->type_name("DURATION");
  o.health->add_option("--max-brief-age", o.max_brief_age, "Fail if no brief was generated since")
      ->type_name("DURATION");
  o.health->add_option("--max-invalid-zones", o.max_invalid_zones,
                       "Fail if more preferences have an unknown zone")
      ->type_name("N");
  o.health->add_option("--max-replica-lag", o.max_replica_lag, "On a standby: fail if it is further behind")
      ->type_name("DURATION");
}

Request validate(const Options& o, const cli::Context& ctx) {
  Request r;
  r.report = report_of(o);
  r.render.format = format_of(o);
  const std::string zone = o.tz.empty() ? st::default_zone() : o.tz;
  if (!st::is_valid_zone(zone)) {
    throw UsageError("invalid value \"" + zone + "\" for option --tz: unknown time zone",
                     "Use an IANA zone name such as Europe/Berlin or UTC.");
  }
  if (o.chart == "always") r.render.chart = true;
  else if (o.chart == "never") r.render.chart = false;
  else r.render.chart = ctx.out_is_tty && o.output.empty();
  if (o.days < 1 || o.days > 365) {
    throw UsageError("invalid value \"" + std::to_string(o.days)
                     + "\" for option --days: must be between 1 and 365");
  }
  if (o.top < 1 || o.top > 100) {
    throw UsageError("invalid value \"" + std::to_string(o.top)
                     + "\" for option --top: must be between 1 and 100");
  }
  const st::Time now = std::chrono::time_point_cast<std::chrono::microseconds>(st::Clock::now());
  const std::string until = o.until.empty() ? st::local_date(now, zone) : o.until;
  if (!st::is_date(until)) throw UsageError("invalid date \"" + until + "\": expected YYYY-MM-DD");
  r.window = {st::date_range(until, o.days).front(), until, o.days, zone};
  if (!o.tz.empty()) r.user_window.tz = o.tz;
  if (!o.until.empty()) r.user_window.until = o.until;
  r.user_window.fallback_zone = zone;
  r.user_window.days = o.days;
  if (r.report == Report::health) r.thresholds = thresholds_of(o);
  if (r.report == Report::user && r.render.format == st::Format::prometheus) {
    throw UsageError("the user report has no prometheus format", "Use --format table, json, csv or html.");
  }
  r.by_variant = o.by_variant;
  r.top = o.top;
  r.user = o.user;
  r.output = o.output;
  return r;
}

}  // namespace briefos::app::stats
