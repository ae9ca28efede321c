// SPDX-License-Identifier: MIT
//
// briefos-generate's work. The policy per job:
//
// 1. Read the job's metadata (userId, briefDate, timezone, options). Bad
//    metadata, an unknown user or an unknown zone are permanent failures:
//    retrying cannot help, and a bad zone never falls back to UTC.
// 2. Load the user's data with a handful of set-based statements (for the
//    whole claimed batch at once), then build the brief with no transaction
//    open.
// 3. With --llm-url, ask for the analysis and wait for it, still with no
//    transaction open; a batch's requests are made together (analysis.cpp).
// 4. Hand the store everything it writes and the job's result as known so
//    far; the store, in ONE transaction it owns, upserts the briefs, their
//    project briefs and email hand-offs, and completes the jobs. If a lease
//    was lost meanwhile, everything rolls back.
// 5. After commit, with --notify-events, NOTIFY briefos_events.
//
// A user without active projects gets a completed brief that says so (and
// no email, since it is empty): not three failures a day as in BuildOS.
#include "briefos/app/generate/service.hpp"

#include "briefos/util/fault.hpp"
#include "briefos/db/brief_source.hpp"
#include "briefos/db/connection.hpp"
#include "briefos/error.hpp"
#include "briefos/util/stop.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace briefos::generate {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

brief::TimePoint now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// The loaded source of `m`'s brief into `m`; throws PermanentError when it
// could not be loaded (an unknown zone) or the user does not exist.
void take_source(Made& m, db::brief_store::LoadedSource& loaded) {
  if (!loaded.error.empty()) throw PermanentError(loaded.error);
  if (!loaded.source) throw PermanentError("user " + m.spec.user_id + " does not exist");
  m.source = std::move(*loaded.source);
}

}  // namespace

// One claimed batch on its way: per job (index k) its spec, what it came
// to and its item; `live` the jobs still going.
struct Generator::Batch {
  const std::vector<const queue::Job*>& jobs;
  std::vector<worker::BatchItem> items;
  std::vector<JobSpec> specs;
  std::vector<Made> made;
  std::vector<std::size_t> live;
  brief::TimePoint now;
  SteadyClock::time_point started;
};

Generator::Generator(const Options& o)
    : m_o(o), m_email{o.email_from, o.email_from_name, o.email_empty}, m_faults(util::fault_ids_from_env("BRIEFOS_FAULT_PROJECTS")), m_analysis(o) {
  m_settings.overdue_limit = static_cast<std::size_t>(o.overdue_limit);
  m_settings.holidays = o.holidays;
}

Made Generator::make(db::Session& session, const JobSpec& spec, bool analyse) {
  Made m;
  m.spec = spec;
  const auto now = now_ms();
  const auto t0 = SteadyClock::now();
  auto loaded = db::brief_store::load_sources(session, {{spec.user_id, spec.timezone, spec.brief_date}}, now,
                                              static_cast<int>(m_settings.notes_limit));
  take_source(m, loaded.at(0));
  m.load_ms = ms_since(t0);
  build(m, now);
  if (analyse && m_analysis.wants(m)) m_analysis.ask(m);
  return m;
}

worker::Outcome Generator::handle(db::Session& session, const queue::Job& job) {
  const auto t0 = SteadyClock::now();
  const auto started = now_ms();
  JobSpec spec;
  try {
    spec = parse_spec(job.metadata, job.user_id);
    const Made m = make(session, spec, true);
    const db::brief_store::StoreInput in = store_input(job, m, started, m_email);
    auto done = db::brief_store::store_and_complete(session, {{&job, &in, job_result(m, ms_since(t0))}}).at(0);
    finished(session, job, m, done);
    return worker::Outcome::done(std::move(done.result), true);
  } catch (const queue::LeaseLost&) {
    throw;
  } catch (const std::exception& e) {
    notify_failed(session, job, spec, e);
    throw;
  }
}

std::vector<worker::BatchItem> Generator::handle_batch(db::Session& session,
                                                       const std::vector<const queue::Job*>& jobs) {
  if (jobs.size() == 1) return one_by_one(session, jobs);
  const std::size_t n = jobs.size();
  Batch b{jobs, std::vector<worker::BatchItem>(n), std::vector<JobSpec>(n), std::vector<Made>(n), {}, now_ms(),
          SteadyClock::now()};
  // 1. Metadata.
  for (std::size_t k = 0; k < n; ++k) {
    try {
      b.specs[k] = parse_spec(jobs[k]->metadata, jobs[k]->user_id);
      b.live.push_back(k);
    } catch (const std::exception&) {
      fail(session, b, k, std::current_exception());
    }
  }
  // 2. Load every brief's source in one set of statements, and build.
  if (!load_batch(session, b)) return one_by_one(session, jobs);
  if (b.live.empty()) return b.items;
  // 3. The analyses of the whole batch in flight at once.
  if (m_analysis.enabled()) {
    const auto unanswered = m_analysis.ask_batch(
        b.made, b.live, [&](std::size_t k, std::exception_ptr error) { fail(session, b, k, std::move(error)); });
    for (std::size_t k : unanswered) b.items[k].not_started = true;
    if (b.live.empty()) return b.items;
  }
  // 4. Store the batch and complete its jobs in one transaction.
  store_batch(session, b);
  return b.items;
}

// Job k of `b` failed with `error` (a lost connection is thrown instead).
void Generator::fail(db::Session& session, Batch& b, std::size_t k, std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    if (session.lost(e)) throw;
    notify_failed(session, *b.jobs[k], b.specs[k], e);
  }
  b.items[k].error = std::move(error);
}

// Load and build the live briefs of `b`; false when the batch load failed
// (the caller goes one job at a time).
bool Generator::load_batch(db::Session& session, Batch& b) {
  std::vector<db::brief_store::SourceRequest> requests;
  for (std::size_t k : b.live) requests.push_back({b.specs[k].user_id, b.specs[k].timezone, b.specs[k].brief_date});
  const auto t0 = SteadyClock::now();
  std::vector<db::brief_store::LoadedSource> loaded;
  try {
    loaded = db::brief_store::load_sources(session, requests, b.now, static_cast<int>(m_settings.notes_limit));
  } catch (const std::exception& e) {
    if (session.lost(e)) throw;
    spdlog::warn("loading a batch of {} briefs failed ({}); loading them one at a time", b.jobs.size(),
                 db::redact(e.what()));
    return false;
  }
  const double load_ms = ms_since(t0) / static_cast<double>(std::max<std::size_t>(1, b.live.size()));
  std::vector<std::size_t> built;
  for (std::size_t j = 0; j < b.live.size(); ++j) {
    const std::size_t k = b.live[j];
    b.made[k].spec = b.specs[k];
    b.made[k].load_ms = load_ms;
    try {
      take_source(b.made[k], loaded[j]);
      build(b.made[k], b.now);
      built.push_back(k);
    } catch (const std::exception&) {
      fail(session, b, k, std::current_exception());
    }
  }
  b.live = std::move(built);
  return true;
}

// Store the live briefs of `b` in one transaction; if that fails, one
// transaction per brief, so that only the brief at fault fails.
void Generator::store_batch(db::Session& session, Batch& b) {
  // A job's total is its share of the batch's time.
  const auto share = [&](double ms) { return ms / static_cast<double>(b.jobs.size()); };
  std::vector<db::brief_store::StoreInput> inputs;
  inputs.reserve(b.live.size());
  for (std::size_t k : b.live) inputs.push_back(store_input(*b.jobs[k], b.made[k], b.now, m_email));
  std::vector<db::brief_store::Completion> batch;
  const double before_ms = share(ms_since(b.started));
  for (std::size_t j = 0; j < b.live.size(); ++j) {
    const std::size_t k = b.live[j];
    batch.push_back({b.jobs[k], &inputs[j], job_result(b.made[k], before_ms)});
  }
  try {
    auto done = db::brief_store::store_and_complete(session, batch);
    const double seconds = share(ms_since(b.started)) / 1000.0;
    for (std::size_t j = 0; j < b.live.size(); ++j) {
      const std::size_t k = b.live[j];
      finished(session, *b.jobs[k], b.made[k], done[j]);
      b.items[k].outcome = worker::Outcome::done(std::move(done[j].result), true);
      b.items[k].seconds = seconds;
    }
    return;
  } catch (const std::exception& e) {
    if (session.lost(e)) throw;
    spdlog::info("storing a batch of {} briefs failed ({}); storing them one at a time", b.live.size(),
                 db::redact(e.what()));
  }
  const double failed_ms = share(ms_since(b.started));
  for (std::size_t j = 0; j < b.live.size(); ++j) {
    const std::size_t k = b.live[j];
    const auto t_store = SteadyClock::now();
    try {
      batch[j].result = job_result(b.made[k], failed_ms);
      auto done = db::brief_store::store_and_complete(session, {batch[j]}).at(0);
      finished(session, *b.jobs[k], b.made[k], done);
      b.items[k].outcome = worker::Outcome::done(std::move(done.result), true);
    } catch (const std::exception& e) {
      b.items[k].error = std::current_exception();
      if (session.lost(e)) {
        // The briefs stored so far are reported; this one and the rest
        // end the slot (their leases expire and they are rescued).
        for (std::size_t rest = j + 1; rest < b.live.size(); ++rest) b.items[b.live[rest]].error = b.items[k].error;
        return;
      }
      if (!dynamic_cast<const queue::LeaseLost*>(&e)) notify_failed(session, *b.jobs[k], b.specs[k], e);
    }
    b.items[k].seconds = (failed_ms + ms_since(t_store)) / 1000.0;
  }
}

// Each job of `jobs` through handle(), in its own transactions.
std::vector<worker::BatchItem> Generator::one_by_one(db::Session& session,
                                                     const std::vector<const queue::Job*>& jobs) {
  std::vector<worker::BatchItem> items(jobs.size());
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    if (k > 0 && util::stop_requested()) {
      // Shutdown: the rest of the batch is given back untouched.
      for (std::size_t rest = k; rest < jobs.size(); ++rest) items[rest].not_started = true;
      return items;
    }
    const auto t0 = SteadyClock::now();
    try {
      items[k].outcome = handle(session, *jobs[k]);
    } catch (const std::exception& e) {
      items[k].error = std::current_exception();
      if (session.lost(e)) {
        // The jobs done so far are reported; this one and the rest end
        // the slot.
        for (std::size_t rest = k + 1; rest < jobs.size(); ++rest) items[rest].error = items[k].error;
        return items;
      }
    }
    items[k].seconds = ms_since(t0) / 1000.0;
  }
  return items;
}

// Build the brief of `m.source` (a failing project is left out, logged).
void Generator::build(Made& m, brief::TimePoint now) {
  const auto t0 = SteadyClock::now();
  try {
    m.built = brief::build(m.source.projects, m.spec.brief_date, m.source.timezone, now, m_settings, m_faults);
  } catch (const DataError& e) {
    throw PermanentError(e.what());
  }
  for (const auto& f : m.built.failures) {
    spdlog::warn("user {}: project \"{}\" ({}) left out of the {} brief: {}", m.spec.user_id, f.project_name,
                 f.project_id, m.spec.brief_date, f.error);
  }
  m.build_ms = ms_since(t0);
}

// After the brief of `job` committed: count it, and NOTIFY with
// --notify-events.
void Generator::finished(db::Session& session, const queue::Job& job, const Made& m,
                         const db::brief_store::Completed& done) {
  if (done.stored.email_action == db::brief_store::EmailAction::created) ++m_counters.emails;
  (m.llm_status == LlmStatus::ok       ? m_counters.llm_ok
   : m.llm_status == LlmStatus::failed ? m_counters.llm_failed
                                       : m_counters.llm_skipped)++;
  m_counters.projects_failed += static_cast<long long>(m.built.failures.size());
  if (m_o.notify_events) {
    db::brief_store::notify_event(session, {{"event", "brief_completed"},
                                            {"user_id", m.spec.user_id},
                                            {"brief_id", done.stored.brief_id},
                                            {"brief_date", m.spec.brief_date},
                                            {"job_id", job.id},
                                            {"email_id", done.result["email_id"]}});
  }
}

// With --notify-events, NOTIFY that `job` failed with `e`.
void Generator::notify_failed(db::Session& session, const queue::Job& job, const JobSpec& spec,
                              const std::exception& e) {
  if (!m_o.notify_events || !session.is_open()) return;
  const bool last = queue::is_permanent(e) || job.attempts >= job.max_attempts;
  db::brief_store::notify_event(
      session, {{"event", "brief_failed"},
                {"user_id", spec.user_id.empty() ? json(job.user_id.value_or("")) : json(spec.user_id)},
                {"brief_date", spec.brief_date.empty() ? json(nullptr) : json(spec.brief_date)},
                {"job_id", job.id},
                {"final", last},
                {"error", db::redact(e.what())}});
}

}  // namespace briefos::generate
