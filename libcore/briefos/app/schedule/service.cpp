// SPDX-License-Identifier: MIT
//
// briefos-schedule's work: queue each user's daily brief at the right
// moment in the user's own zone. The policy an operator can rely on:
//
// - A sweep covers a window of UTC time, from where the previous sweep
//   stopped (schedule_state) to now + --lookahead, and queues every run of
//   every active preference inside it, found zone by zone as ranges of
//   local time (schedule::zone_windows) through an index: its cost follows
//   the number of due users, not the number of users. Preferences edited
//   since the previous sweep are also checked one by one, so a brief set
//   for 09:00 at 08:55 still runs when the 08:45 sweep had already covered
//   09:00. All of it happens inside ONE transaction that holds the sweep
//   lock: the jobs and the new state commit together or not at all, and a
//   second sweep started meanwhile waits, then finds nothing due. The one
//   exception is --connections (default 2): the window inserts are shared
//   with further connections, whose transactions commit once every share
//   is done, just before the rest of the sweep (schedule_store::
//   enqueue_chunks); if the sweep then fails, the jobs they queued stay,
//   and the next sweep, covering the same window, counts them as already
//   queued.
// - Each run becomes one generate_daily_brief job, claimable --lead-time
//   before the user's time, with the dedup key of jobs::brief_key (user and
//   local date). An active job with that key, or a completed brief for that
//   date, makes it a no-op: one brief per (user, local date), however often
//   this runs.
// - Runs older than now - --catch-up are not queued (a day-late brief is
//   worse than none); they are counted as missed in the summary.
// - A preference that cannot be scheduled (unknown zone, bad time or
//   weekday) is reported with the user id, counted and skipped; the sweep
//   goes on, and the exit status is 1 so cron and monitoring notice. It is
//   never scheduled in UTC instead.
// - A sweep warns about such a preference once per UTC day (the day's first
//   sweep) and when it is edited, not every few minutes: the rule is
//   derived from schedule_state (schedule::invalid_warned_after), so the
//   sweep still writes nothing but jobs and its state. The summary counts
//   every invalid preference, warned or not, and so does the exit status.
// - Backfill (--user, --date, --from/--to) queues the given dates now,
//   whatever the preferred time; --force first cancels active jobs for those
//   dates and queues fresh ones even if the brief was completed; --no-email
//   marks the jobs so that their briefs are stored and no email is queued
//   (the same mark as engagement backoff). A backfill warns about every
//   invalid preference it meets: the operator asked for those users.
// - --dry-run runs every statement and rolls back, so its counts are exact,
//   except that the job inserts become selects of the same rows: a rolled
//   back insert would still draw ids from the job sequence.
#include "briefos/app/schedule/service.hpp"

#include "briefos/app/schedule/output.hpp"
#include "briefos/app/schedule/windows.hpp"
#include "briefos/error.hpp"
#include "briefos/schedule.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace briefos::schedule_command {

namespace {

namespace store = db::schedule_store;
using std::chrono::seconds;
using util::Instant;

// Edits are looked for from this long before the previous sweep: a
// transaction that stamped updated_at before that sweep's snapshot and
// committed after it was invisible to it. Re-finding an edit is harmless
// (the dedup key), missing one costs the user a day.
constexpr std::int64_t edit_margin_s = 3600;
// Missed runs (older than the catch-up window) are counted over at most
// this long before it, so that a sweep after a month's outage is not slow.
constexpr std::int64_t missed_counted_s = 7 * 86400;

// One run of a sweep or backfill: its inputs, its unit of work, and what
// it has met and queued so far.
struct Run {
  db::Transaction& tx;
  const Options& o;
  const Plan& p;
  Instant now;
  Counts& c;
  Reporter& rep;
  store::EnqueueResult& result;
  const std::function<void(long long)>& on_users;
};

schedule::Preference preference_of(const store::PreferenceRow& row) {
  schedule::Preference p;
  p.frequency = row.frequency;
  p.day_of_week = row.day_of_week;
  p.time_of_day = row.time_of_day;
  p.timezone = row.timezone;
  return p;
}

// A job for one run, with engagement backoff applied when asked for.
void add_job(std::vector<store::BriefJob>& jobs, Run& r, const std::string& user_id, const std::string& zone,
             std::string run_date, std::int64_t run, const std::optional<std::int64_t>& last_visit,
             const std::optional<std::int64_t>& last_brief) {
  ++r.c.due;
  std::optional<int> reengagement;
  bool hold_email = false;
  if (r.o.engagement_backoff) {
    const auto days = [&](const std::optional<std::int64_t>& t) -> std::optional<int> {
      if (!t) return std::nullopt;
      return util::days_between(Instant{seconds(*t)}, r.now);
    };
    const auto e = schedule::engagement(days(last_visit), days(last_brief));
    // Backoff withholds the email, never the brief: the user still finds
    // it in the app (the original suppressed generation too, its defect 12).
    if (!e.should_send) {
      ++r.c.backoff;
      hold_email = true;
      spdlog::debug("user {}: engagement backoff, brief without email: {}", user_id, e.reason);
    }
    if (e.is_reengagement) reengagement = e.days_since_last_login;
  }
  jobs.push_back({user_id, std::move(run_date), zone, run - r.p.lead_time.count(), reengagement, hold_email});
}

// Queue `jobs` once there are --batch-size of them (or any, with `force`).
void flush_jobs(Run& r, std::vector<store::BriefJob>& jobs, bool force = false) {
  if (jobs.empty() || (!force && static_cast<int>(jobs.size()) < r.o.batch_size)) return;
  store::enqueue_jobs(r.tx, jobs, false, r.result, r.o.dry_run);
  jobs.clear();
}

// The zones in use, and every active preference that cannot be scheduled
// (a zone the tz database lacks, 24:00): counted by every sweep until
// fixed, warned about once a UTC day and when edited
// (schedule::invalid_warned_after).
std::vector<std::string> usable_zones(Run& r, const std::optional<store::SweepState>& state) {
  std::vector<std::string> good;
  std::vector<std::string> bad;
  std::vector<std::string> at_2400;
  for (const auto& z : store::active_zones(r.tx)) {
    if (!util::zone_exists(z.zone)) {
      bad.push_back(z.zone);
      continue;
    }
    good.push_back(z.zone);
    if (z.has_2400) at_2400.push_back(z.zone);
  }
  std::optional<Instant> previous;
  if (state) previous = Instant{seconds(state->swept_at)};
  std::optional<std::int64_t> warn_after;
  if (const auto after = schedule::invalid_warned_after(previous, r.now)) warn_after = after->time_since_epoch().count();
  const auto invalid = store::invalid_preferences(r.tx, bad, at_2400, warn_after,
                                                  static_cast<int>(Reporter::max_listed_invalid));
  for (const auto& row : invalid.rows) {
    std::string why;
    if (!schedule::compile(preference_of(row), &why)) r.rep.invalid(r.c, row.user_id, why);
  }
  r.c.invalid = invalid.count;
  r.c.invalid_warned_earlier = invalid.count - invalid.warned;
  r.c.considered += invalid.count;
  return good;
}

// Preferences edited since the previous sweep: their runs in the part of
// the window that earlier sweeps already covered, up to `upto` (the rest
// was queued from the windows).
void sweep_edited(Run& r, const store::SweepState& state, Instant upto, std::vector<store::BriefJob>& jobs) {
  std::optional<store::EditCursor> cursor;
  for (;;) {
    const auto rows = store::fetch_edited(r.tx, state.swept_at - edit_margin_s, r.now.time_since_epoch().count(),
                                          r.p.catch_up.count(), cursor, r.o.batch_size, r.o.engagement_backoff);
    for (const auto& row : rows) {
      ++r.c.considered;
      ++r.c.edited;
      const auto rule = schedule::compile(preference_of(row), nullptr);
      if (!rule) continue;  // reported by usable_zones
      for (Instant run = schedule::first_run_at_or_after(*rule, Instant{seconds(row.at)}); run <= upto;
           run = schedule::next_run_after(*rule, run)) {
        add_job(jobs, r, row.user_id, row.timezone, util::format_date(schedule::local_date(*rule, run)),
                run.time_since_epoch().count(), row.last_visit, row.last_brief);
      }
      flush_jobs(r, jobs);
    }
    if (static_cast<int>(rows.size()) < r.o.batch_size) break;
  }
}

void sweep(Run& r, const store::Shares& shares, const std::optional<store::SweepState>& state) {
  const std::int64_t now_s = r.now.time_since_epoch().count();
  const std::int64_t known_s = state ? state->swept_at : now_s;  // see store::enqueue_chunks
  const Instant horizon = r.now + r.p.lookahead;
  const Instant oldest = r.now - r.p.catch_up;  // runs at or after it are queued
  Instant start = oldest - seconds(1);          // windows are (start, horizon]
  if (state && Instant{seconds(state->swept_to)} > start) start = Instant{seconds(state->swept_to)};
  const auto zones = usable_zones(r, state);
  std::vector<store::BriefJob> jobs;

  if (horizon > start && !r.o.engagement_backoff) {
    const long long due = store::enqueue_chunks(r.tx, shares, zone_chunks(windows_of(zones, start, horizon)),
                                                known_s, r.p.lead_time.count(), r.result);
    r.c.due += due;
    r.c.considered += due;
  } else if (horizon > start) {
    for (const auto& chunk : plain_chunks(windows_of(zones, start, horizon))) {
      for (const auto& run : store::fetch_window_runs(r.tx, chunk, known_s, true)) {
        ++r.c.considered;
        add_job(jobs, r, run.user_id, run.timezone, run.run_date, run.run, run.last_visit, run.last_brief);
        flush_jobs(r, jobs);
      }
    }
  }

  if (state && Instant{seconds(state->swept_to)} < oldest - seconds(1)) {
    const Instant from = std::max(Instant{seconds(state->swept_to)},
                                  oldest - seconds(1) - seconds(missed_counted_s));
    for (const auto& chunk : plain_chunks(windows_of(zones, from, oldest - seconds(1)))) {
      r.c.missed += store::count_window_runs(r.tx, chunk, known_s);
    }
  }

  if (state) sweep_edited(r, *state, std::min(start, horizon), jobs);
  flush_jobs(r, jobs, true);
}

void backfill_rows(Run& r, const std::vector<store::PreferenceRow>& rows) {
  std::vector<store::BriefJob> jobs;
  std::vector<std::pair<std::string, std::string>> cancels;
  for (const auto& row : rows) {
    ++r.c.considered;
    std::string why;
    const auto rule = schedule::compile(preference_of(row), &why);
    if (!rule) {
      r.rep.invalid(r.c, row.user_id, why);
      continue;
    }
    std::vector<util::Days> dates = r.p.dates;
    if (dates.empty()) dates.push_back(schedule::local_date(*rule, r.now));
    for (const auto d : dates) {
      const std::string date = util::format_date(d);
      ++r.c.due;
      jobs.push_back({row.user_id, date, row.timezone, r.now.time_since_epoch().count(), std::nullopt, r.o.no_email});
      if (r.o.no_email) ++r.c.no_email;
      if (r.o.force) cancels.emplace_back(row.user_id, date);
    }
  }
  if (r.o.force) r.c.cancelled += store::cancel_briefs(r.tx, cancels, "Cancelled: regenerate requested");
  store::enqueue_jobs(r.tx, jobs, r.o.force, r.result, r.o.dry_run);
}

void backfill(Run& r) {
  if (!r.o.users.empty()) {
    auto found = store::find_users(r.tx, r.o.users);
    if (!found.unknown.empty()) {
      throw UsageError("invalid value \"" + found.unknown.front()
                       + "\" for option --user: no user with that id or e-mail address");
    }
    for (const auto& id : found.no_preference) {
      ++r.c.considered;
      r.rep.invalid(r.c, id, "no brief preferences, so no time zone to date the brief in");
    }
    backfill_rows(r, found.rows);
    return;
  }
  std::string after;
  for (;;) {
    const auto rows = store::fetch_active(r.tx, after, r.o.batch_size);
    if (rows.empty()) break;
    after = rows.back().id;
    backfill_rows(r, rows);
    if (r.on_users) r.on_users(static_cast<long long>(rows.size()));
    if (static_cast<int>(rows.size()) < r.o.batch_size) break;
  }
}

Instant clock(db::Transaction& tx, const Plan& p) {
  return p.now ? *p.now : Instant{seconds(store::now(tx))};
}

}  // namespace

// One transaction: everything it queued and advanced commits together.
Outcome run(db::Session& session, const Options& o, const Plan& p, const store::Shares& shares,
            const std::function<void(long long)>& on_users) {
  Outcome out;
  db::Transaction tx{session};
  Reporter rep;
  if (p.backfill) {
    out.now = clock(tx, p);
    if (o.engagement_backoff) spdlog::info("--engagement-backoff does not apply to a backfill");
    Run r{tx, o, p, out.now, out.counts, rep, out.result, on_users};
    backfill(r);
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
    out.now = clock(tx, p);
    const auto state = store::read_state(tx);
    Run r{tx, o, p, out.now, out.counts, rep, out.result, on_users};
    sweep(r, shares, state);
    store::write_state(tx, {(out.now + p.lookahead).time_since_epoch().count(), out.now.time_since_epoch().count()});
  }
  rep.finish(out.counts);
  const std::int64_t db_now = store::now(tx);
  bool wake = false;
  for (const auto& q : out.result.queued) wake = wake || q.scheduled_for <= db_now;
  if (o.dry_run) return out;  // `tx` rolls back
  if (wake) store::notify_jobs(tx);
  tx.commit();
  return out;
}

}  // namespace briefos::schedule_command
