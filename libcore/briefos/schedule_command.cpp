// SPDX-License-Identifier: MIT
//
// briefos-schedule: queue each user's daily brief at the right moment in
// the user's own zone. The policy an operator can rely on:
//
// - A sweep reads only preferences whose stored next run is due (within
//   now + --lookahead) and those with no next run yet (new or edited, which
//   it computes first), in batches, inside ONE transaction that holds the
//   sweep lock: jobs and the advanced next runs commit together or not at
//   all, and a second sweep started meanwhile waits, then finds nothing due.
// - Each run becomes one generate_daily_brief job, claimable --lead-time
//   before the user's time, with dedup key brief-<user>-<local date>. An
//   active job with that key, or a completed brief for that date, makes it
//   a no-op: one brief per (user, local date), however often this runs.
// - Runs older than now - --catch-up are not queued (a day-late brief is
//   worse than none); they are counted as missed in the summary.
// - A preference that cannot be scheduled (unknown zone, bad time or
//   weekday) is reported with the user id, counted and skipped; the sweep
//   goes on, and the exit status is 1 so cron and monitoring notice. It is
//   never scheduled in UTC instead.
// - Backfill (--user, --date, --from/--to) queues the given dates now,
//   whatever the preferred time; --force first cancels active jobs for those
//   dates and queues fresh ones even if the brief was completed.
// - --dry-run runs every statement and rolls back, so its counts are exact.
#include "briefos/schedule_command.hpp"

#include "briefos/db/connection.hpp"
#include "briefos/db/schedule_store.hpp"
#include "briefos/error.hpp"
#include "briefos/schedule.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace briefos::schedule_command {

namespace {

namespace store = db::schedule_store;
using schedule::Instant;
using std::chrono::seconds;

constexpr int max_backfill_days = 366;
constexpr long long max_listed_invalid = 20;
// A sweep that gave this many preferences their first next run vacuums the
// table afterwards (see store::vacuum_preferences).
constexpr long long vacuum_after_unscheduled = 100000;

struct Options {
  std::string now;
  bool dry_run = false;
  bool json = false;
  std::string lookahead = "20m";
  std::string lead_time = "2m";
  std::string catch_up = "2h";
  bool engagement_backoff = false;
  std::vector<std::string> users;
  std::string date;
  std::string from;
  std::string to;
  bool force = false;
  int batch_size = 5000;
  int lock_timeout_s = 30;
};

// Options checked and converted before anything touches the database.
struct Plan {
  std::optional<Instant> now;
  seconds lookahead{0};
  seconds lead_time{0};
  seconds catch_up{0};
  std::vector<schedule::Days> dates;  // backfill dates; empty: "today"
  bool backfill = false;
};

seconds duration_option(const std::string& name, const std::string& value, seconds max) {
  const auto d = schedule::parse_duration(value);
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

schedule::Days date_option(const std::string& name, const std::string& value) {
  const auto d = schedule::parse_date(value);
  if (!d) {
    throw UsageError("invalid value \"" + value + "\" for option " + name
                     + ": expected a date YYYY-MM-DD");
  }
  return *d;
}

Plan check(const Options& o) {
  Plan p;
  if (!o.now.empty()) {
    p.now = schedule::parse_instant(o.now);
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
  return p;
}

struct Counts {
  long long considered = 0;
  long long unscheduled = 0;  // new or edited preferences given a next run
  long long due = 0;          // runs inside the window
  long long invalid = 0;
  long long missed = 0;
  long long backoff = 0;
  long long cancelled = 0;
};

class Reporter {
public:
  void invalid(Counts& c, const std::string& user_id, const std::string& why) {
    ++c.invalid;
    if (c.invalid <= max_listed_invalid) {
      spdlog::warn("user {}: invalid brief preference: {}; skipped", user_id, why);
    }
  }
  void finish(const Counts& c) {
    if (c.invalid > max_listed_invalid) {
      spdlog::warn("{} more invalid brief preferences not listed", c.invalid - max_listed_invalid);
    }
  }
};

schedule::Preference preference_of(const store::PreferenceRow& row) {
  schedule::Preference p;
  p.frequency = row.frequency;
  p.day_of_week = row.day_of_week;
  p.time_of_day = row.time_of_day;
  p.timezone = row.timezone;
  return p;
}

// New and edited preferences: compute their next run from the later of
// their last edit and now - catch-up. Rows that cannot be scheduled stay
// NULL (and are reported again by every sweep until fixed).
void schedule_unscheduled(pqxx::work& tx, const Options& o, const Plan& p, Instant now,
                          Counts& c, Reporter& rep, store::EnqueueResult& result,
                          long long& became_due) {
  std::string after;
  const Instant horizon = now + p.lookahead;
  for (;;) {
    const auto rows = store::fetch_unscheduled(tx, after, o.batch_size, now.time_since_epoch().count(),
                                               p.catch_up.count());
    if (rows.empty()) break;
    after = rows.back().id;
    std::vector<store::NextRun> advance;
    advance.reserve(rows.size());
    for (const auto& row : rows) {
      ++c.unscheduled;
      std::string why;
      const auto rule = schedule::compile(preference_of(row), &why);
      if (!rule) {
        rep.invalid(c, row.user_id, why);
        continue;
      }
      const Instant next = schedule::first_run_at_or_after(*rule, Instant{seconds(row.at)});
      if (next <= horizon) ++became_due;
      advance.push_back({row.id, next.time_since_epoch().count(), row.version});
    }
    store::enqueue_and_advance(tx, {}, advance, false, result);
    if (static_cast<int>(rows.size()) < o.batch_size) break;
  }
}

void sweep_due(pqxx::work& tx, const Options& o, const Plan& p, Instant now, Counts& c,
               Reporter& rep, store::EnqueueResult& result) {
  const Instant horizon = now + p.lookahead;
  std::optional<store::DueCursor> cursor;
  for (;;) {
    const auto rows = store::fetch_due(tx, horizon.time_since_epoch().count(), cursor,
                                       o.batch_size, o.engagement_backoff);
    if (rows.empty()) break;
    cursor = store::DueCursor{rows.back().at, rows.back().id};
    std::vector<store::BriefJob> jobs;
    std::vector<store::NextRun> advance;
    jobs.reserve(rows.size());
    advance.reserve(rows.size());
    for (const auto& row : rows) {
      ++c.considered;
      std::string why;
      const auto rule = schedule::compile(preference_of(row), &why);
      if (!rule) {
        // Leave it for the unscheduled pass, which reports it each sweep.
        rep.invalid(c, row.user_id, why);
        advance.push_back({row.id, std::nullopt, row.version});
        continue;
      }
      const auto plan =
          schedule::plan_runs(*rule, Instant{seconds(row.at)}, now, p.lookahead, p.catch_up);
      c.missed += plan.missed;
      advance.push_back({row.id, plan.next_run_at.time_since_epoch().count(), row.version});
      if (plan.runs.empty()) continue;
      c.due += static_cast<long long>(plan.runs.size());
      std::optional<int> reengagement;
      bool hold_email = false;
      if (o.engagement_backoff) {
        const auto days = [&](const std::optional<std::int64_t>& t) -> std::optional<int> {
          if (!t) return std::nullopt;
          return schedule::days_between(Instant{seconds(*t)}, now);
        };
        const auto e = schedule::engagement(days(row.last_visit), days(row.last_brief));
        // Backoff withholds the email, never the brief: the user still finds
        // it in the app (the original suppressed generation too, its defect 12).
        if (!e.should_send) {
          c.backoff += static_cast<long long>(plan.runs.size());
          hold_email = true;
          spdlog::debug("user {}: engagement backoff, brief without email: {}", row.user_id, e.reason);
        }
        if (e.is_reengagement) reengagement = e.days_since_last_login;
      }
      for (const Instant run : plan.runs) {
        jobs.push_back({row.user_id, schedule::format_date(schedule::local_date(*rule, run)),
                        row.timezone, (run - p.lead_time).time_since_epoch().count(),
                        reengagement, hold_email});
      }
    }
    store::enqueue_and_advance(tx, jobs, advance, false, result);
    if (static_cast<int>(rows.size()) < o.batch_size) break;
  }
}

void backfill_rows(pqxx::work& tx, const std::vector<store::PreferenceRow>& rows,
                   const Options& o, const Plan& p, Instant now, Counts& c, Reporter& rep,
                   store::EnqueueResult& result) {
  std::vector<store::BriefJob> jobs;
  std::vector<std::pair<std::string, std::string>> cancels;
  for (const auto& row : rows) {
    ++c.considered;
    std::string why;
    const auto rule = schedule::compile(preference_of(row), &why);
    if (!rule) {
      rep.invalid(c, row.user_id, why);
      continue;
    }
    std::vector<schedule::Days> dates = p.dates;
    if (dates.empty()) dates.push_back(schedule::local_date(*rule, now));
    for (const auto d : dates) {
      const std::string date = schedule::format_date(d);
      ++c.due;
      jobs.push_back({row.user_id, date, row.timezone, now.time_since_epoch().count(), std::nullopt});
      if (o.force) cancels.emplace_back(row.user_id, date);
    }
  }
  if (o.force) c.cancelled += store::cancel_briefs(tx, cancels, "Cancelled: regenerate requested");
  store::enqueue_and_advance(tx, jobs, {}, o.force, result);
}

void backfill(pqxx::work& tx, const Options& o, const Plan& p, Instant now, Counts& c,
              Reporter& rep, store::EnqueueResult& result) {
  if (!o.users.empty()) {
    auto found = store::find_users(tx, o.users);
    if (!found.unknown.empty()) {
      throw UsageError("invalid value \"" + found.unknown.front()
                       + "\" for option --user: no user with that id or e-mail address");
    }
    for (const auto& id : found.no_preference) {
      ++c.considered;
      rep.invalid(c, id, "no brief preferences, so no time zone to date the brief in");
    }
    backfill_rows(tx, found.rows, o, p, now, c, rep, result);
    return;
  }
  std::string after;
  for (;;) {
    const auto rows = store::fetch_active(tx, after, o.batch_size);
    if (rows.empty()) break;
    after = rows.back().id;
    backfill_rows(tx, rows, o, p, now, c, rep, result);
    if (static_cast<int>(rows.size()) < o.batch_size) break;
  }
}

std::string text_of(const std::array<char, 36>& a) { return std::string(a.data(), a.size()); }
std::string text_of(const std::array<char, 10>& a) { return std::string(a.data(), a.size()); }

void print_jobs(cli::Context& ctx, const Options& o, const store::EnqueueResult& result) {
  if (result.queued.empty()) return;
  if (!o.json) ctx.out << "job_id    user_id                               brief_date  scheduled_for\n";
  std::string line;
  for (const auto& q : result.queued) {
    const std::string sched = schedule::format_instant(Instant{seconds(q.scheduled_for)});
    if (o.json) {
      nlohmann::ordered_json j;
      j["job_id"] = o.dry_run ? nlohmann::ordered_json() : nlohmann::ordered_json(q.id);
      j["user_id"] = text_of(q.user_id);
      j["brief_date"] = text_of(q.brief_date);
      j["scheduled_for"] = sched;
      line = j.dump();
    } else {
      std::string id = o.dry_run ? "-" : std::to_string(q.id);
      id.resize(std::max<std::size_t>(id.size(), 9), ' ');
      line = id + ' ' + text_of(q.user_id) + "  " + text_of(q.brief_date) + "  " + sched;
    }
    line += '\n';
    ctx.out << line;
  }
}

void print_summary(cli::Context& ctx, const Options& o, const Plan& p, Instant now,
                   const Counts& c, const store::EnqueueResult& r) {
  if (ctx.quiet) return;
  const long long skipped = c.invalid + c.missed;
  auto& e = ctx.err;
  e << ctx.tool_name << ": " << (o.dry_run ? "dry run, nothing committed: " : "")
    << (p.backfill ? "backfill" : "sweep") << " as of "
    << schedule::format_instant(now) << ": considered " << c.considered;
  if (c.unscheduled > 0) e << " (" << c.unscheduled << " new or edited)";
  e << ", due " << c.due << ", " << (o.dry_run ? "would queue " : "queued ")
    << r.queued.size() << ", already queued " << r.already_queued << ", already generated "
    << r.already_generated;
  if (c.cancelled > 0) e << ", cancelled " << c.cancelled;
  e << ", skipped " << skipped;
  if (skipped > 0) {
    e << " (invalid preference " << c.invalid << ", missed beyond catch-up " << c.missed << ")";
  }
  if (o.engagement_backoff) e << ", email held back by engagement backoff " << c.backoff;
  e << "\n";
}

// One transaction: everything it queued and advanced commits together.
void run_transaction(pqxx::connection& cx, const Options& o, const Plan& p, Instant& now,
                     Counts& c, store::EnqueueResult& result) {
  pqxx::work tx{cx};
  Reporter rep;
  if (p.backfill) {
    now = p.now ? *p.now : Instant{seconds(store::now(tx))};
    if (o.engagement_backoff) spdlog::info("--engagement-backoff does not apply to a backfill");
    backfill(tx, o, p, now, c, rep, result);
  } else {
    if (!store::lock_sweep(tx, seconds(o.lock_timeout_s))) {
      throw Error("another briefos-schedule sweep held the sweep lock for "
                      + std::to_string(o.lock_timeout_s) + " s",
                  "It is still running, or stuck: see pg_stat_activity "
                  "(application_name briefos-schedule).",
                  exit_lock_timeout);
    }
    // The clock is read after the lock: a sweep that waited starts from
    // where the previous one ended.
    now = p.now ? *p.now : Instant{seconds(store::now(tx))};
    long long became_due = 0;
    schedule_unscheduled(tx, o, p, now, c, rep, result, became_due);
    sweep_due(tx, o, p, now, c, rep, result);
    c.considered += c.unscheduled - became_due;
  }
  rep.finish(c);
  const std::int64_t db_now = store::now(tx);
  bool wake = false;
  for (const auto& q : result.queued) wake = wake || q.scheduled_for <= db_now;
  if (o.dry_run) {
    tx.abort();
    return;
  }
  if (wake) store::notify_jobs(tx);
  tx.commit();
}

int run(cli::Context& ctx, const Options& o) {
  const Plan p = check(o);
  auto cx = db::connect(ctx.database_url, ctx.tool_name);
  Counts c;
  store::EnqueueResult result;
  Instant now{};
  run_transaction(*cx, o, p, now, c, result);
  // Printed only after the commit: every job id on stdout exists.
  print_jobs(ctx, o, result);
  print_summary(ctx, o, p, now, c, result);
  if (!o.dry_run && c.unscheduled >= vacuum_after_unscheduled) {
    spdlog::info("vacuuming user_brief_preferences after scheduling {} preferences", c.unscheduled);
    store::vacuum_preferences(*cx);
  }
  return c.invalid > 0 ? exit_failure : exit_ok;
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  CLI::App& app = tool.app();
  app.add_option("--now", o->now, "Run as of TIMESTAMP (default: database now)")
      ->type_name("TIMESTAMP");
  app.add_flag("-n,--dry-run", o->dry_run, "Show what would be queued; change nothing");
  app.add_flag("--json", o->json, "One JSON object per queued job on stdout");
  tool.bind_env(app.add_option("--lookahead", o->lookahead, "Queue runs due up to DURATION ahead")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_LOOKAHEAD"});
  tool.bind_env(app.add_option("--lead-time", o->lead_time,
                               "Make jobs claimable DURATION before the run")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_LEAD_TIME"});
  tool.bind_env(app.add_option("--catch-up", o->catch_up, "Queue missed runs up to DURATION old")
                    ->type_name("DURATION"),
                {"BRIEFOS_SCHEDULE_CATCH_UP"});
  tool.bind_env(app.add_flag("--engagement-backoff", o->engagement_backoff,
                             "Skip or re-engage inactive users"),
                {"BRIEFOS_ENGAGEMENT_BACKOFF"});
  app.add_option("--user", o->users, "Backfill for user ID or EMAIL (repeatable)")
      ->type_name("ID|EMAIL");
  auto* date = app.add_option("--date", o->date, "Backfill brief date DATE")->type_name("DATE");
  auto* from = app.add_option("--from", o->from, "Backfill from DATE (with --to)")->type_name("DATE");
  auto* to = app.add_option("--to", o->to, "Backfill up to DATE (with --from)")->type_name("DATE");
  from->needs(to);
  to->needs(from);
  date->excludes(from);
  date->excludes(to);
  app.add_flag("--force", o->force, "Backfill: cancel active jobs, queue fresh ones");
  tool.bind_env(app.add_option("--batch-size", o->batch_size, "Preferences per statement")
                    ->type_name("N")
                    ->check(CLI::Range(1, 100000)),
                {"BRIEFOS_SCHEDULE_BATCH_SIZE"});
  app.add_option("--lock-timeout", o->lock_timeout_s, "Wait SECONDS for another sweep")
      ->type_name("SECONDS")
      ->check(CLI::Range(0, 86400));
  return [o](cli::Context& ctx) -> int { return run(ctx, *o); };
}

}  // namespace briefos::schedule_command
