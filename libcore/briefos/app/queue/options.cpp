// SPDX-License-Identifier: MIT
//
// briefos-queue's options and their checks. Policy:
//
// - Every option is checked before the database is contacted, so a typo
//   exits 2 at once; job types and users, which only the database knows,
//   are checked by the service, also with exit 2.
// - A change with no limit on what it changes is refused: retry and cancel
//   need job ids, a filter (--type, --user, --since, --older-than) or
//   --all. --status does not count as a filter: it only narrows the
//   statuses the command takes jobs from anyway, and `cancel --status
//   pending` would still cancel every pending job. Prune always has its
//   retention (--older-than, 14 days by default), so it needs no --all.
// - Times are a duration back from now ("2h", "7d": the database's clock),
//   an instant ("2026-03-08T07:30:00Z"; no offset means UTC) or a date
//   (midnight of that day in --tz).
// - The formats are briefos-stats's: a table by default (on a terminal or
//   not: people read cron mail), json and csv for scripts; show has no csv
//   (a job is not a table).
#include "briefos/app/queue/options.hpp"

#include "briefos/error.hpp"
#include "briefos/stats/time.hpp"
#include "briefos/util/text.hpp"
#include "briefos/util/time.hpp"

#include <date/tz.h>

#include <algorithm>
#include <charconv>

namespace briefos::app::queue {

namespace qa = db::queue_admin;
namespace st = briefos::stats;

namespace {

const std::vector<std::string> all_statuses{"pending", "processing", "completed", "failed", "cancelled"};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Command command_of(const Options& o) {
  if (o.show->parsed()) return Command::show;
  if (o.retry->parsed()) return Command::retry;
  if (o.cancel->parsed()) return Command::cancel;
  if (o.prune->parsed()) return Command::prune;
  return Command::list;
}

st::Format format_of(const Options& o) {
  if (o.json && !o.format.empty() && o.format != "json") {
    throw UsageError("--json and --format " + o.format + " cannot be used together");
  }
  if (o.json) return st::Format::json;
  if (o.format.empty()) return st::Format::table;
  const auto f = st::parse_format(o.format);
  if (!f || *f == st::Format::prometheus || *f == st::Format::html) {
    throw UsageError("invalid value \"" + o.format + "\" for option --format: must be one of table, json, csv");
  }
  return *f;
}

long long job_id(const std::string& text) {
  long long id = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (text.empty() || ec != std::errc() || ptr != end || id < 1) {
    throw UsageError("invalid job id \"" + text + "\": expected a positive integer");
  }
  return id;
}

// --since / --older-than: a duration back from now, an instant, or a date
// (its midnight in `zone`).
qa::Bound bound_of(const std::string& name, const std::string& text, const std::string& zone) {
  qa::Bound b;
  if (text.empty()) return b;
  if (const auto d = util::parse_duration(text)) {
    b.ago = *d;
    return b;
  }
  if (const auto t = util::parse_instant(text)) {
    b.at = std::chrono::time_point_cast<std::chrono::microseconds>(*t);
    return b;
  }
  if (const auto day = util::parse_date(text)) {
    const date::zoned_time<std::chrono::seconds> midnight{
        util::find_zone(zone), date::local_seconds{day->time_since_epoch()}, date::choose::earliest};
    b.at = std::chrono::time_point_cast<std::chrono::microseconds>(midnight.get_sys_time());
    return b;
  }
  throw UsageError("invalid value \"" + text + "\" for option " + name
                   + ": expected a duration (2h, 7d), an instant (2026-03-08T07:30:00Z) or a date (2026-03-08)");
}

std::vector<std::string> split_all(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    for (std::string& s : util::split_commas(v)) out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> statuses_of(const Options& o, Command c) {
  const std::vector<std::string> given = split_all(o.statuses);
  const std::vector<std::string>& allowed = c == Command::retry    ? qa::retryable_statuses
                                            : c == Command::cancel ? qa::cancellable_statuses
                                                                   : all_statuses;
  for (const std::string& s : given) {
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      throw UsageError("invalid value \"" + s + "\" for option --status: must be one of " + join(allowed));
    }
  }
  return given;
}

}  // namespace

std::string to_string(Command command) {
  switch (command) {
    case Command::list: return "list";
    case Command::show: return "show";
    case Command::retry: return "retry";
    case Command::cancel: return "cancel";
    case Command::prune: return "prune";
  }
  return "list";
}

void declare(cli::Tool& tool, Options& o) {
  CLI::App& app = tool.app();
  app.require_subcommand(1, 1);
  app.fallthrough();
  app.footer("Commands: list, show ID, retry, cancel, prune.\n"
             "See briefos-queue(1) for every option and exit status.");
  app.add_option("-f,--format", o.format, "table (default), json, csv")->type_name("FORMAT");
  app.add_flag("--json", o.json, "Same as --format json");
  CLI::Option* tz = app.add_option("--tz", o.tz, "Time zone for times and dates (default: system)")
                        ->type_name("ZONE");
  tool.bind_env(tz, {"BRIEFOS_QUEUE_TZ"});

  auto add_filters = [&](CLI::App* sub, const char* status_help) {
    sub->add_option("--type", o.types, "Job type (repeat or comma-separate)")->type_name("TYPE");
    sub->add_option("--status", o.statuses, status_help)->type_name("STATUS");
    sub->add_option("--user", o.user, "Jobs of this user (id or email address)")->type_name("ID|EMAIL");
    sub->add_option("--since", o.since, "Created at or after: 2h, 7d, instant, date")
        ->type_name("WHEN");
    sub->add_option("--older-than", o.older_than, "Created before: 2h, 7d, instant or date")
        ->type_name("WHEN");
  };
  auto add_change = [&](CLI::App* sub) {
    sub->add_option("ids", o.ids, "Job ids")->type_name("ID");
    sub->add_flag("--all", o.all, "Allow the change without ids or a filter");
    sub->add_flag("-n,--dry-run", o.dry_run, "Show what would change; change nothing");
  };

  o.list = app.add_subcommand("list", "Jobs matching filters, newest first");
  add_filters(o.list, "pending, processing, completed, failed...");
  o.list->add_option("--limit", o.limit, "At most N jobs; 0 for all (default 100)")->type_name("N");
  o.show = app.add_subcommand("show", "One job: every column, metadata, attempts");
  o.show->add_option("id", o.ids, "Job id")->type_name("ID")->required()->expected(1);
  o.retry = app.add_subcommand("retry", "Failed or cancelled jobs back to pending");
  add_change(o.retry);
  add_filters(o.retry, "failed or cancelled (default: both)");
  o.cancel = app.add_subcommand("cancel", "Cancel pending or processing jobs");
  add_change(o.cancel);
  add_filters(o.cancel, "pending or processing (default: both)");
  o.cancel->add_option("--reason", o.reason, "Reason stored on each job")->type_name("TEXT");
  o.prune = app.add_subcommand("prune", "Delete finished jobs older than a retention");
  o.prune->add_option("--older-than", o.retention, "Finished before this long ago (default 14d)")
      ->type_name("DURATION");
  o.prune->add_option("--batch-size", o.batch_size, "Jobs deleted per transaction (default 10000)")
      ->type_name("N");
  o.prune->add_flag("-n,--dry-run", o.dry_run, "Count what would be deleted; delete nothing");
}

Request validate(const Options& o) {
  Request r;
  r.command = command_of(o);
  r.format = format_of(o);
  r.zone = o.tz.empty() ? st::default_zone() : o.tz;
  if (!st::is_valid_zone(r.zone)) {
    throw UsageError("invalid value \"" + r.zone + "\" for option --tz: unknown time zone",
                     "Use an IANA zone name such as Europe/Berlin or UTC.");
  }
  r.dry_run = o.dry_run;
  const std::string name = to_string(r.command);
  if (r.command == Command::prune) {
    const auto retention = util::parse_duration(o.retention);
    if (!retention || retention->count() <= 0) {
      throw UsageError("invalid value \"" + o.retention
                       + "\" for option --older-than: expected a positive duration such as 14d or 36h");
    }
    r.retention = *retention;
    if (o.batch_size < 1 || o.batch_size > 100000) {
      throw UsageError("invalid value \"" + std::to_string(o.batch_size)
                       + "\" for option --batch-size: must be between 1 and 100000");
    }
    r.batch_size = o.batch_size;
    return r;
  }
  if (r.command == Command::show) {
    if (r.format == st::Format::csv) throw UsageError("show has no csv format", "Use --format table or json.");
    r.id = job_id(o.ids.front());
    return r;
  }
  for (const std::string& id : o.ids) r.filter.ids.push_back(job_id(id));
  r.filter.types = split_all(o.types);
  r.filter.statuses = statuses_of(o, r.command);
  r.user = util::trim(o.user);
  r.filter.since = bound_of("--since", o.since, r.zone);
  r.filter.before = bound_of("--older-than", o.older_than, r.zone);
  if (r.command == Command::list) {
    if (o.limit < 0) {
      throw UsageError("invalid value \"" + std::to_string(o.limit) + "\" for option --limit: must be 0 or more");
    }
    r.filter.limit = o.limit;
    return r;
  }
  const bool filtered = !r.filter.ids.empty() || !r.filter.types.empty() || !r.user.empty()
                        || r.filter.since.set() || r.filter.before.set();
  if (filtered && o.all) {
    throw UsageError("--all cannot be used with job ids or filters");
  }
  if (!filtered && !o.all) {
    throw UsageError("refusing to " + name + " without job ids or a filter (--type, --user, --since,"
                     " --older-than); give --all to " + name + " every "
                     + (r.command == Command::retry ? "failed or cancelled" : "pending or processing") + " job");
  }
  r.reason = o.reason;
  if (r.command == Command::cancel && util::trim(r.reason).empty()) {
    throw UsageError("invalid value for option --reason: must not be empty");
  }
  return r;
}

}  // namespace briefos::app::queue
