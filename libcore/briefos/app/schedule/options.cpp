// SPDX-License-Identifier: MIT
//
// briefos-schedule's options: their CLI11 declarations (names, help,
// ranges, environment variables) and the checks CLI11 cannot make
// (durations, dates and instants, --from/--to spans, --force and
// --no-email only with a backfill). Messages follow "invalid value "X" for option --name: why".
#include "briefos/app/schedule/options.hpp"

#include "briefos/error.hpp"

namespace briefos::schedule_command {

namespace {

using std::chrono::seconds;

seconds duration_option(const std::string& name, const std::string& value, seconds max) {
  const auto d = util::parse_duration(value);
  if (!d) {
    throw UsageError("invalid value \"" + value + "\" for option " + name
                     + ": expected a duration such as 90s, 20m, 2h or 1d");
  }
  if (*d > max) {
    throw UsageError("invalid value \"" + value + "\" for option " + name + ": at most "
                     + std::to_string(max.count()) + " seconds");
  }
  return *d;
}

util::Days date_option(const std::string& name, const std::string& value) {
  const auto d = util::parse_date(value);
  if (!d) {
    throw UsageError("invalid value \"" + value + "\" for option " + name
                     + ": expected a date YYYY-MM-DD");
  }
  return *d;
}

}  // namespace

Plan check(const Options& o) {
  Plan p;
  if (!o.now.empty()) {
    p.now = util::parse_instant(o.now);
    if (!p.now) {
      throw UsageError("invalid value \"" + o.now + "\" for option --now: expected a timestamp"
                       " such as 2026-03-08T07:30:00Z or \"2026-03-08 02:30:00-05:00\"");
    }
  }
  p.lookahead = duration_option("--lookahead", o.lookahead, std::chrono::hours(24));
  p.lead_time = duration_option("--lead-time", o.lead_time, std::chrono::hours(24));
  p.catch_up = duration_option("--catch-up", o.catch_up, std::chrono::hours(24 * 7));
  if (!o.date.empty()) p.dates.push_back(date_option("--date", o.date));
  if (!o.from.empty() || !o.to.empty()) {
    const auto from = date_option("--from", o.from);
    const auto to = date_option("--to", o.to);
    if (from > to) {
      throw UsageError("--from " + o.from + " is after --to " + o.to);
    }
    if ((to - from).count() >= max_backfill_days) {
      throw UsageError("--from " + o.from + " --to " + o.to + " spans more than "
                       + std::to_string(max_backfill_days) + " days");
    }
    for (auto d = from; d <= to; d += std::chrono::days(1)) p.dates.push_back(d);
  }
  p.backfill = !o.users.empty() || !p.dates.empty();
  if (o.force && !p.backfill) {
    throw UsageError("--force only applies to a backfill (--user, --date or --from/--to)");
  }
  if (o.no_email && !p.backfill) {
    throw UsageError("--no-email only applies to a backfill (--user, --date or --from/--to)",
                     "A sweep queues emails as the users chose; to stop one user's, change their preference.");
  }
  return p;
}

void add_options(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  app.add_option("--now", o.now, "Run as of TIMESTAMP (default: database now)")
      ->type_name("TIMESTAMP");
  app.add_flag("-n,--dry-run", o.dry_run, "Show what would be queued; change nothing");
  app.add_flag("--json", o.json, "One JSON object per queued job on stdout");
  tool.bind_env(app.add_option("--lookahead", o.lookahead, "Queue runs due up to DURATION ahead")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_LOOKAHEAD"});
  tool.bind_env(app.add_option("--lead-time", o.lead_time,
                               "Make jobs claimable DURATION before the run")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_LEAD_TIME"});
  tool.bind_env(app.add_option("--catch-up", o.catch_up, "Queue missed runs up to DURATION old")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_CATCH_UP"});
  tool.bind_env(app.add_flag("--engagement-backoff", o.engagement_backoff,
                             "Skip or re-engage inactive users"),
                {"BRIEFOS_ENGAGEMENT_BACKOFF"});
  app.add_option("--user", o.users, "Backfill for user ID or EMAIL (repeatable)")
      ->type_name("ID|EMAIL");
  auto* date = app.add_option("--date", o.date, "Backfill brief date DATE")->type_name("DATE");
  auto* from = app.add_option("--from", o.from, "Backfill from DATE (with --to)")->type_name("DATE");
  auto* to = app.add_option("--to", o.to, "Backfill up to DATE (with --from)")->type_name("DATE");
  from->needs(to);
  to->needs(from);
  date->excludes(from);
  date->excludes(to);
  app.add_flag("--force", o.force, "Backfill: cancel active jobs, queue fresh ones");
  app.add_flag("--no-email", o.no_email, "Backfill: store the briefs, queue no email");
  tool.bind_env(app.add_option("--batch-size", o.batch_size, "Preferences per statement")
                    ->type_name("N")
                    ->check(CLI::Range(1, 100000)),
                {"BRIEFOS_SCHEDULE_BATCH_SIZE"});
  app.add_option("--lock-timeout", o.lock_timeout_s, "Wait SECONDS for another sweep")
      ->type_name("SECONDS")
      ->check(CLI::Range(0, 86400));
  tool.bind_env(app.add_option("--connections", o.connections, "Database connections a sweep's inserts share")
                    ->type_name("N")
                    ->check(CLI::Range(1, 8)),
                {"BRIEFOS_SCHEDULE_CONNECTIONS"});
}

}  // namespace briefos::schedule_command
