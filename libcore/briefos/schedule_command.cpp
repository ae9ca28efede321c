// SPDX-License-Identifier: MIT
//
// briefos-schedule: queue each user's daily brief at the right moment in
// the user's own zone. The policy an operator can rely on:
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
//   with a second connection, whose transaction commits once both shares
//   are done, just before the rest of the sweep; if the sweep then fails,
//   the jobs it queued stay, and the next sweep, covering the same window,
//   counts them as already queued. The shares never hold the same user (a
//   zone's windows stay on one connection, and a user has one preference),
//   so neither should wait on the other's rows; a statement that waits
//   10 s on a row lock (a backfill's uncommitted job, a preference that
//   moved zones between the shares' snapshots) is done again by the main
//   connection after the others committed.
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

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iterator>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace briefos::schedule_command {

namespace {

namespace store = db::schedule_store;
using schedule::Instant;
using std::chrono::seconds;

constexpr int max_backfill_days = 366;
constexpr long long max_listed_invalid = 20;
// Windows per statement: bounds the rows one statement returns.
constexpr std::size_t windows_per_statement = 64;
// Edits are looked for from this long before the previous sweep: a
// transaction that stamped updated_at before that sweep's snapshot and
// committed after it was invisible to it. Re-finding an edit is harmless
// (the dedup key), missing one costs the user a day.
constexpr std::int64_t edit_margin_s = 3600;
// Missed runs (older than the catch-up window) are counted over at most
// this long before it, so that a sweep after a month's outage is not slow.
constexpr std::int64_t missed_counted_s = 7 * 86400;

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
  int connections = 2;
};

// Where a second connection comes from.
struct Database {
  std::string url;
  std::string application_name;
};

// How long a parallel share waits for a row lock (see the file comment).
constexpr const char* share_lock_timeout_ms = "10000";

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
  long long edited = 0;       // preferences edited since the previous sweep
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

// A job for one run, with engagement backoff applied when asked for.
void add_job(std::vector<store::BriefJob>& jobs, const Options& o, const Plan& p, Instant now,
             Counts& c, const std::string& user_id, const std::string& zone, std::string run_date,
             std::int64_t run, const std::optional<std::int64_t>& last_visit,
             const std::optional<std::int64_t>& last_brief) {
  ++c.due;
  std::optional<int> reengagement;
  bool hold_email = false;
  if (o.engagement_backoff) {
    const auto days = [&](const std::optional<std::int64_t>& t) -> std::optional<int> {
      if (!t) return std::nullopt;
      return schedule::days_between(Instant{seconds(*t)}, now);
    };
    const auto e = schedule::engagement(days(last_visit), days(last_brief));
    // Backoff withholds the email, never the brief: the user still finds
    // it in the app (the original suppressed generation too, its defect 12).
    if (!e.should_send) {
      ++c.backoff;
      hold_email = true;
      spdlog::debug("user {}: engagement backoff, brief without email: {}", user_id, e.reason);
    }
    if (e.is_reengagement) reengagement = e.days_since_last_login;
  }
  jobs.push_back({user_id, std::move(run_date), zone, run - p.lead_time.count(), reengagement, hold_email});
}

void flush_jobs(pqxx::work& tx, const Options& o, std::vector<store::BriefJob>& jobs,
                store::EnqueueResult& result, bool force = false) {
  if (jobs.empty() || (!force && static_cast<int>(jobs.size()) < o.batch_size)) return;
  store::enqueue_jobs(tx, jobs, false, result);
  jobs.clear();
}

// The windows of every zone for runs in (after, upto].
std::vector<store::Window> windows_of(const std::vector<std::string>& zones, Instant after, Instant upto) {
  std::vector<store::Window> out;
  for (const auto& zone : zones) {
    const auto ws = schedule::zone_windows(zone, after, upto);
    if (!ws) continue;
    for (const auto& w : *ws) {
      out.push_back({zone, w.weekday, w.from, w.to, w.base, schedule::format_date(w.run_date)});
    }
  }
  return out;
}

// Statements' worth of windows (about windows_per_statement each) that
// never split a zone's windows: each user has one preference, so no user
// is in two chunks.
std::vector<std::vector<store::Window>> zone_chunks(const std::vector<store::Window>& windows) {
  std::vector<std::vector<store::Window>> out;
  for (std::size_t i = 0; i < windows.size();) {
    std::vector<store::Window> chunk;
    while (i < windows.size()
           && (chunk.size() < windows_per_statement || chunk.back().zone == windows[i].zone)) {
      chunk.push_back(windows[i++]);
    }
    out.push_back(std::move(chunk));
  }
  return out;
}

// Runs every chunk through store::enqueue_windows on `tx` and, with
// --connections 2 or more and more than one chunk, on further connections at
// once: each takes the next chunk when it is free. A share's PostgreSQL
// backend does the whole insert, so on a machine with idle cores the shares
// finish together in a fraction of the time (bench/schedule). The other
// shares commit (or, with --dry-run, roll back) only after every share
// succeeded; any failure rolls them all back and is rethrown. A chunk whose
// statement waited share_lock_timeout_ms for a row lock (a backfill's
// uncommitted job, or another share's when a preference moved zones between
// their snapshots) is done again by `tx` after the other shares have
// committed, waiting as long as the sweep would without shares.
long long enqueue_chunks(pqxx::work& tx, const Options& o, const Database& db,
                         const std::vector<std::vector<store::Window>>& chunks, std::int64_t known_s,
                         std::int64_t lead_s, store::EnqueueResult& result) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::vector<std::size_t> deferred;  // chunks that hit the lock timeout
  const auto take = [&](pqxx::dbtransaction& t, store::EnqueueResult& r) {
    long long due = 0;
    for (std::size_t i; (i = next++) < chunks.size();) {
      try {
        due += store::enqueue_windows(t, chunks[i], known_s, lead_s, r);
      } catch (const pqxx::sql_error& e) {
        if (e.sqlstate() != "55P03") throw;  // lock_not_available
        std::lock_guard lock(mu);
        deferred.push_back(i);
      }
    }
    return due;
  };
  const std::size_t others =
      chunks.size() > 1 ? std::min<std::size_t>(static_cast<std::size_t>(std::max(1, o.connections)) - 1,
                                                chunks.size() - 1)
                        : 0;
  // The chunks that hit the lock timeout, again on `tx` (at the end, when
  // the other shares have committed), waiting as the sweep's own lock
  // timeout says.
  const auto redo_deferred = [&] {
    long long due = 0;
    std::sort(deferred.begin(), deferred.end());
    for (std::size_t i : deferred) {
      spdlog::info("window statement {} of {} waited on a row lock; doing it again after the other shares",
                   i + 1, chunks.size());
      due += store::enqueue_windows(tx, chunks[i], known_s, lead_s, result);
    }
    return due;
  };
  spdlog::debug("window inserts: {} statement(s) on {} connection(s)", chunks.size(), others + 1);
  if (others == 0) {
    const long long due = take(tx, result);
    return due + redo_deferred();  // only with a lock_timeout set for the role or database
  }

  struct Share {
    store::EnqueueResult result;
    long long due = 0;
    std::exception_ptr error;
    std::thread thread;
  };
  std::vector<Share> shares(others);
  std::condition_variable cv;
  std::size_t finished = 0;  // shares (this one included) done with their chunks
  bool failed = false;
  const auto done = [&](bool ok) {
    std::lock_guard lock(mu);
    ++finished;
    failed = failed || !ok;
    cv.notify_all();
  };
  const auto share = [&](Share& s) {
    bool counted = false;
    try {
      std::unique_ptr<pqxx::connection> cx;
      try {
        cx = db::connect(db.url, db.application_name + " (share)");
      } catch (const std::exception& e) {
        // A connection limit or a busy server: the other connections do
        // this share's part, the sweep goes on.
        spdlog::warn("an extra connection for the sweep's inserts failed ({}); going on with fewer",
                     db::redact(e.what()));
        counted = true;
        done(true);
        return;
      }
      pqxx::work t{*cx};
      t.exec_params("SELECT set_config('lock_timeout', $1, true)", share_lock_timeout_ms);
      s.due = take(t, s.result);
      counted = true;
      done(true);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return finished >= others + 1; });
      if (failed || o.dry_run) return;  // the transaction rolls back
      lock.unlock();
      t.commit();
    } catch (...) {
      s.error = std::current_exception();
      next = chunks.size();
      if (!counted) done(false);
    }
  };
  std::size_t started = 0;
  try {
    for (; started < others; ++started) shares[started].thread = std::thread(share, std::ref(shares[started]));
  } catch (const std::system_error& e) {
    // No thread for the rest: like connections that could not be opened.
    spdlog::warn("an extra thread for the sweep's inserts failed ({}); going on with fewer", e.what());
    for (std::size_t k = started; k < others; ++k) done(true);
  }
  long long due = 0;
  std::exception_ptr error;
  std::string saved_timeout;
  try {
    saved_timeout = tx.exec("SELECT current_setting('lock_timeout')")[0][0].as<std::string>();
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", share_lock_timeout_ms);
    due = take(tx, result);
    tx.exec_params("SELECT set_config('lock_timeout', $1, true)", saved_timeout);
  } catch (...) {
    error = std::current_exception();
    next = chunks.size();
  }
  done(!error);
  for (std::size_t k = 0; k < started; ++k) shares[k].thread.join();
  if (error) std::rethrow_exception(error);
  for (auto& s : shares) {
    if (s.error) std::rethrow_exception(s.error);
  }
  for (auto& s : shares) {
    due += s.due;
    result.already_queued += s.result.already_queued;
    result.already_generated += s.result.already_generated;
    result.queued.insert(result.queued.end(), std::make_move_iterator(s.result.queued.begin()),
                         std::make_move_iterator(s.result.queued.end()));
  }
  due += redo_deferred();
  // Job ids in the order they were queued, as with one connection.
  std::sort(result.queued.begin(), result.queued.end(),
            [](const store::QueuedJob& a, const store::QueuedJob& b) { return a.id < b.id; });
  return due;
}

template <typename F>
void by_chunks(const std::vector<store::Window>& windows, F&& f) {
  for (std::size_t i = 0; i < windows.size(); i += windows_per_statement) {
    const auto end = std::min(windows.size(), i + windows_per_statement);
    f(std::vector<store::Window>(windows.begin() + static_cast<std::ptrdiff_t>(i),
                                 windows.begin() + static_cast<std::ptrdiff_t>(end)));
  }
}

// The zones in use, and every active preference that cannot be scheduled
// (a zone the tz database lacks, 24:00), reported each sweep until fixed.
std::vector<std::string> usable_zones(pqxx::work& tx, Counts& c, Reporter& rep) {
  std::vector<std::string> good;
  std::vector<std::string> bad;
  std::vector<std::string> at_2400;
  for (const auto& z : store::active_zones(tx)) {
    if (!schedule::zone_exists(z.zone)) {
      bad.push_back(z.zone);
      continue;
    }
    good.push_back(z.zone);
    if (z.has_2400) at_2400.push_back(z.zone);
  }
  const auto invalid = store::invalid_preferences(tx, bad, at_2400, static_cast<int>(max_listed_invalid));
  for (const auto& row : invalid.rows) {
    std::string why;
    if (!schedule::compile(preference_of(row), &why)) rep.invalid(c, row.user_id, why);
  }
  c.invalid = invalid.count;
  c.considered += invalid.count;
  return good;
}

void sweep(pqxx::work& tx, const Options& o, const Database& db, const Plan& p, Instant now,
           const std::optional<store::SweepState>& state, Counts& c, Reporter& rep,
           store::EnqueueResult& result) {
  const std::int64_t now_s = now.time_since_epoch().count();
  const std::int64_t known_s = state ? state->swept_at : now_s;  // see store::enqueue_windows
  const Instant horizon = now + p.lookahead;
  const Instant oldest = now - p.catch_up;  // runs at or after it are queued
  Instant start = oldest - seconds(1);      // windows are (start, horizon]
  if (state && Instant{seconds(state->swept_to)} > start) start = Instant{seconds(state->swept_to)};
  const auto zones = usable_zones(tx, c, rep);
  std::vector<store::BriefJob> jobs;

  if (horizon > start && !o.engagement_backoff) {
    const long long due =
        enqueue_chunks(tx, o, db, zone_chunks(windows_of(zones, start, horizon)), known_s, p.lead_time.count(), result);
    c.due += due;
    c.considered += due;
  } else if (horizon > start) {
    by_chunks(windows_of(zones, start, horizon), [&](const std::vector<store::Window>& chunk) {
      for (const auto& r : store::fetch_window_runs(tx, chunk, known_s, true)) {
        ++c.considered;
        add_job(jobs, o, p, now, c, r.user_id, r.timezone, r.run_date, r.run, r.last_visit, r.last_brief);
        flush_jobs(tx, o, jobs, result);
      }
    });
  }

  if (state && Instant{seconds(state->swept_to)} < oldest - seconds(1)) {
    const Instant from = std::max(Instant{seconds(state->swept_to)},
                                  oldest - seconds(1) - seconds(missed_counted_s));
    by_chunks(windows_of(zones, from, oldest - seconds(1)), [&](const std::vector<store::Window>& chunk) {
      c.missed += store::count_window_runs(tx, chunk, known_s);
    });
  }

  // Edited since the previous sweep: their runs in the part of the window
  // that earlier sweeps already covered (the rest was just queued above).
  if (state) {
    const Instant upto = std::min(start, horizon);
    std::optional<store::EditCursor> cursor;
    for (;;) {
      const auto rows = store::fetch_edited(tx, state->swept_at - edit_margin_s, now.time_since_epoch().count(),
                                            p.catch_up.count(), cursor, o.batch_size, o.engagement_backoff);
      for (const auto& row : rows) {
        ++c.considered;
        ++c.edited;
        const auto rule = schedule::compile(preference_of(row), nullptr);
        if (!rule) continue;  // reported by usable_zones
        for (Instant run = schedule::first_run_at_or_after(*rule, Instant{seconds(row.at)}); run <= upto;
             run = schedule::next_run_after(*rule, run)) {
          add_job(jobs, o, p, now, c, row.user_id, row.timezone,
                  schedule::format_date(schedule::local_date(*rule, run)), run.time_since_epoch().count(),
                  row.last_visit, row.last_brief);
        }
        flush_jobs(tx, o, jobs, result);
      }
      if (static_cast<int>(rows.size()) < o.batch_size) break;
    }
  }
  flush_jobs(tx, o, jobs, result, true);
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
  store::enqueue_jobs(tx, jobs, o.force, result);
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
      // Written by hand: a 100,000-job sweep printed through a JSON object
      // per line spent a fifth of its CPU here. Every value is digits, a
      // UUID, a date or an instant from this program or PostgreSQL's uuid
      // output, so nothing needs escaping.
      line = "{\"job_id\":";
      line += o.dry_run ? std::string("null") : std::to_string(q.id);
      line += ",\"user_id\":\"";
      line.append(q.user_id.data(), q.user_id.size());
      line += "\",\"brief_date\":\"";
      line.append(q.brief_date.data(), q.brief_date.size());
      line += "\",\"scheduled_for\":\"" + sched + "\"}";
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
  if (c.edited > 0) e << " (" << c.edited << " new or edited)";
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
void run_transaction(pqxx::connection& cx, const Options& o, const Database& db, const Plan& p, Instant& now,
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
    const auto state = store::read_state(tx);
    sweep(tx, o, db, p, now, state, c, rep, result);
    store::write_state(tx, {(now + p.lookahead).time_since_epoch().count(), now.time_since_epoch().count()});
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
  run_transaction(*cx, o, Database{ctx.database_url, ctx.tool_name}, p, now, c, result);
  // Printed only after the commit: every job id on stdout exists.
  print_jobs(ctx, o, result);
  print_summary(ctx, o, p, now, c, result);
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
  tool.bind_env(app.add_option("--connections", o->connections, "Database connections a sweep's inserts share")
                    ->type_name("N")
                    ->check(CLI::Range(1, 8)),
                {"BRIEFOS_SCHEDULE_CONNECTIONS"});
  return [o](cli::Context& ctx) -> int { return run(ctx, *o); };
}

}  // namespace briefos::schedule_command
