// SPDX-License-Identifier: MIT
//
// briefos-generate: claim generate_daily_brief jobs, build each brief, store
// it with its email hand-off, and report. The policy per job:
//
// 1. Read the job's metadata (userId, briefDate, timezone, options). Bad
//    metadata, an unknown user or an unknown zone are permanent failures:
//    retrying cannot help, and a bad zone never falls back to UTC.
// 2. Load the user's data in one short read-only transaction (a handful of
//    set-based queries), then build the brief with no transaction open.
// 3. With --llm-url, ask for the analysis (the re-engagement prompt when the
//    scheduler flagged the job) and wait for it, still with no transaction
//    open; a batch's requests are made together, and the LLM client
//    overlaps the requests of all slots. A failed LLM
//    leaves the brief complete without analysis (llm_status 'failed', the
//    reason in metadata.llm_error).
// 4. In ONE transaction: upsert the brief (readers keep the old one until
//    commit), its project briefs, the email hand-off when the user opted in
//    and the brief is not empty (or --email-empty), and complete the job with
//    its result. If the lease was lost meanwhile, everything rolls back.
// 5. After commit, with --notify-events, NOTIFY briefos_events.
//
// A user without active projects gets a completed brief that says so (and
// no email, since it is empty): not three failures a day as in BuildOS.
//
// Backfill (--user/--date) goes through the queue too, so it can never race
// a worker: it enqueues with the usual dedup key (or, with --force, cancels
// the brief's active jobs and uses a unique key) and then processes exactly
// that job id. --dry-run reads, builds and prints; it claims and writes
// nothing.
//
// Fault injection for tests and drills: BRIEFOS_FAULT_PROJECTS, a comma list
// of project ids, makes those projects fail while their brief is built.
#include "briefos/generate_command.hpp"

#include "briefos/brief.hpp"
#include "briefos/db/brief_store.hpp"
#include "briefos/db/connection.hpp"
#include "briefos/db/detail/pqxx_access.hpp"  // transitional: the generate cut removes it
#include "briefos/error.hpp"
#include "briefos/http/llm_client.hpp"
#include "briefos/llm.hpp"
#include "briefos/mime.hpp"
#include "briefos/worker.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <ostream>
#include <unordered_set>

namespace briefos::generate_command {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  worker::Options worker;
  std::string jobs_from;
  std::string user;
  std::string date;
  bool force = false;
  bool dry_run = false;
  bool json = false;
  bool email_empty = false;
  std::string email_from = "briefs@localhost";
  std::string email_from_name = "briefos";
  bool holidays = false;
  std::string llm_url;
  std::vector<std::string> llm_models;
  std::string llm_api_key_file;
  double llm_timeout_s = 60;
  int llm_max_in_flight = 16;
  bool notify_events = false;
  int overdue_limit = 10;
  bool no_progress = false;
};

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

long long round_ms(double ms) { return static_cast<long long>(ms + 0.5); }

std::unordered_set<std::string> fault_projects() {
  std::unordered_set<std::string> out;
  const char* v = std::getenv("BRIEFOS_FAULT_PROJECTS");
  if (v == nullptr) return out;
  std::string s = v;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.insert(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

// The metadata of a generate_daily_brief job.
struct JobSpec {
  std::string user_id;
  std::string brief_date;
  std::optional<std::string> timezone;
  bool is_reengagement = false;
  int days_since_last_login = 0;
  bool force = false;
  bool hold_email = false;  // engagement backoff: store the brief, send nothing
};

JobSpec parse_spec(const json& md, const std::optional<std::string>& job_user) {
  if (!md.is_object()) throw queue::PermanentError("job metadata is not a JSON object");
  JobSpec s;
  const auto str = [&](const char* key) -> std::optional<std::string> {
    const auto it = md.find(key);
    if (it == md.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw queue::PermanentError(std::string("job metadata \"") + key + "\" is not a string");
    return it->get<std::string>();
  };
  auto uid = str("userId");
  if (!uid) uid = job_user;
  if (!uid) throw queue::PermanentError("job metadata lacks \"userId\"");
  s.user_id = *uid;
  const auto date = str("briefDate");
  if (!date) throw queue::PermanentError("job metadata lacks \"briefDate\"");
  try {
    brief::validate_date(*date);
  } catch (const Error& e) {
    throw queue::PermanentError(std::string("job metadata: ") + e.what());
  }
  s.brief_date = *date;
  s.timezone = str("timezone");
  const auto it = md.find("options");
  if (it != md.end() && it->is_object()) {
    const json& o = *it;
    if (o.contains("isReengagement") && o["isReengagement"].is_boolean()) {
      s.is_reengagement = o["isReengagement"].get<bool>();
    }
    if (o.contains("daysSinceLastLogin") && o["daysSinceLastLogin"].is_number()) {
      // Clamped as a double first: converting one outside int's range (say
      // 1e300) to int is undefined behaviour, and no absence that counts is
      // longer than a century.
      const double days = o["daysSinceLastLogin"].get<double>();
      s.days_since_last_login = days > 0 ? static_cast<int>(std::min(days, 36500.0)) : 0;
    }
    if (o.contains("forceRegenerate") && o["forceRegenerate"].is_boolean()) {
      s.force = o["forceRegenerate"].get<bool>();
    }
    if (o.contains("holdEmail") && o["holdEmail"].is_boolean()) {
      s.hold_email = o["holdEmail"].get<bool>();
    }
  }
  return s;
}

// A progress line on stderr, redrawn at most every 100 ms.
class Progress {
public:
  Progress(std::ostream& err, bool enabled, long long total)
      : m_err(err), m_enabled(enabled), m_total(total), m_start(SteadyClock::now()) {}

  void tick() {
    ++m_done;
    if (!m_enabled) return;
    const auto now = SteadyClock::now();
    if (now - m_last < std::chrono::milliseconds(100) && m_done != m_total) return;
    m_last = now;
    const double secs = std::chrono::duration<double>(now - m_start).count();
    const double rate = secs > 0 ? static_cast<double>(m_done) / secs : 0;
    char line[160];
    if (m_total > 0) {
      const long long shown = std::min(m_done, m_total);
      const int width = 30;
      const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(shown)
                                          / static_cast<double>(m_total));
      std::string bar(static_cast<std::size_t>(filled), '#');
      bar.resize(static_cast<std::size_t>(width), '-');
      const double eta = rate > 0 ? static_cast<double>(m_total - shown) / rate : 0;
      std::snprintf(line, sizeof line, "\r[%s] %lld/%lld  %.1f briefs/s  ETA %.0fs ", bar.c_str(),
                    shown, m_total, rate, eta);
    } else {
      std::snprintf(line, sizeof line, "\r%lld briefs  %.1f briefs/s ", m_done, rate);
    }
    m_err << line << std::flush;
    m_drawn = true;
  }

  void clear() {
    if (m_drawn) m_err << "\r\033[K" << std::flush;
    m_drawn = false;
  }

private:
  std::ostream& m_err;
  bool m_enabled;
  long long m_total;
  long long m_done = 0;
  SteadyClock::time_point m_start;
  SteadyClock::time_point m_last{};
  bool m_drawn = false;
};

struct Counters {
  std::atomic<long long> emails{0};
  std::atomic<long long> llm_ok{0};
  std::atomic<long long> llm_failed{0};
  std::atomic<long long> llm_skipped{0};
  std::atomic<long long> projects_failed{0};
};

class Generator {
public:
  explicit Generator(const Options& o) : m_o(o), m_faults(fault_projects()) {
    m_settings.overdue_limit = static_cast<std::size_t>(o.overdue_limit);
    m_settings.holidays = o.holidays;
    if (!o.llm_url.empty()) {
      http::LlmConfig cfg;
      cfg.url = o.llm_url;
      cfg.models = o.llm_models;
      cfg.api_key = cli::read_secret({"BRIEFOS_LLM_API_KEY"}, o.llm_api_key_file);
      cfg.timeout = std::chrono::milliseconds(static_cast<long long>(o.llm_timeout_s * 1000));
      cfg.deadline = std::max(cfg.deadline, cfg.timeout * 3);
      cfg.max_in_flight = o.llm_max_in_flight;
      m_llm = std::make_unique<http::LlmClient>(std::move(cfg));
    }
  }

  // What a brief came to, for the handler and --dry-run.
  struct Made {
    JobSpec spec;
    db::brief_store::BriefSource source;
    brief::BuiltBrief built;
    std::optional<std::string> analysis;
    std::string llm_status = "skipped";
    std::string llm_error;
    double load_ms = 0, build_ms = 0, llm_ms = 0;
  };

  Made make(pqxx::connection& cx, const JobSpec& spec, bool call_llm) {
    Made m;
    m.spec = spec;
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
    auto t0 = SteadyClock::now();
    std::optional<db::brief_store::BriefSource> src;
    try {
      src = db::brief_store::load_source(cx, spec.user_id, spec.timezone, spec.brief_date, now,
                                         static_cast<int>(m_settings.notes_limit));
    } catch (const UsageError& e) {
      throw queue::PermanentError(e.what());
    }
    if (!src) throw queue::PermanentError("user " + spec.user_id + " does not exist");
    m.source = std::move(*src);
    m.load_ms = ms_since(t0);
    build(m, now);
    if (call_llm && wants_llm(m)) {
      t0 = SteadyClock::now();
      take_llm(m, m_llm->complete(llm_request(m)));
      m.llm_ms = ms_since(t0);
    }
    return m;
  }

  worker::Outcome handle(pqxx::connection& cx, const queue::Job& job) {
    const auto t0 = SteadyClock::now();
    const auto started = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
    JobSpec spec;
    try {
      spec = parse_spec(job.metadata, job.user_id);
      Made m = make(cx, spec, true);
      json failures;
      const db::brief_store::StoreInput in = store_input(job, m, started, failures);
      const auto t_store = SteadyClock::now();
      json result;
      const auto stored = db::brief_store::store_and_complete(
          cx, job, in, [&](const db::brief_store::StoreResult& r) {
            result = result_json(m, r, failures, ms_since(t_store), ms_since(t0));
            return result;
          });
      finished(cx, job, m, stored, result);
      return worker::Outcome::done(result, true);
    } catch (const queue::LeaseLost&) {
      throw;
    } catch (const std::exception& e) {
      notify_failed(cx, job, spec, e);
      throw;
    }
  }

  // A whole claimed batch: one set of load statements and one store
  // transaction for all its briefs (db::brief_store::load_sources,
  // store_and_complete_many). Failures stay per job: a job whose metadata, user, zone or
  // build fails fails alone; when a batch statement fails (one user's data
  // the database refuses, a lost lease, a deadlock) the batch is done again
  // one job at a time, so that only the job at fault fails.
  std::vector<worker::BatchItem> handle_batch(pqxx::connection& cx,
                                              const std::vector<const queue::Job*>& jobs) {
    if (jobs.size() == 1) return one_by_one(cx, jobs);
    const auto t_batch = SteadyClock::now();
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
    const std::size_t n = jobs.size();
    std::vector<worker::BatchItem> items(n);
    std::vector<JobSpec> specs(n);
    const auto fail_job = [&](std::size_t k, std::exception_ptr error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        if (is_connection_lost(cx, e)) throw;
        notify_failed(cx, *jobs[k], specs[k], e);
      }
      items[k].error = std::move(error);
    };

    // 1. Metadata.
    std::vector<std::size_t> live;
    for (std::size_t k = 0; k < n; ++k) {
      try {
        specs[k] = parse_spec(jobs[k]->metadata, jobs[k]->user_id);
        live.push_back(k);
      } catch (const std::exception&) {
        fail_job(k, std::current_exception());
      }
    }
    // 2. Load every brief's source in one set of statements.
    std::vector<Made> made(n);
    auto t0 = SteadyClock::now();
    {
      std::vector<db::brief_store::SourceRequest> requests;
      for (std::size_t k : live) requests.push_back({specs[k].user_id, specs[k].timezone, specs[k].brief_date});
      std::vector<db::brief_store::LoadedSource> loaded;
      try {
        loaded = db::brief_store::load_sources(cx, requests, now, static_cast<int>(m_settings.notes_limit));
      } catch (const std::exception& e) {
        if (is_connection_lost(cx, e)) throw;
        spdlog::warn("loading a batch of {} briefs failed ({}); loading them one at a time", n,
                     db::redact(e.what()));
        return one_by_one(cx, jobs);
      }
      const double load_ms = ms_since(t0) / static_cast<double>(std::max<std::size_t>(1, live.size()));
      std::vector<std::size_t> loaded_ok;
      for (std::size_t j = 0; j < live.size(); ++j) {
        const std::size_t k = live[j];
        made[k].spec = specs[k];
        made[k].load_ms = load_ms;
        try {
          if (!loaded[j].error.empty()) throw queue::PermanentError(loaded[j].error);
          if (!loaded[j].source) throw queue::PermanentError("user " + specs[k].user_id + " does not exist");
          made[k].source = std::move(*loaded[j].source);
          t0 = SteadyClock::now();
          build(made[k], now);
          loaded_ok.push_back(k);
        } catch (const std::exception&) {
          fail_job(k, std::current_exception());
        }
      }
      live = std::move(loaded_ok);
    }
    if (live.empty()) return items;
    // 3. With an LLM, the analyses of the whole batch are in flight at once
    // (up to --llm-max-in-flight across slots), and the batch is stored
    // when the last is back. A slot with one connection thus keeps many
    // requests open: a fresh PostgreSQL backend costs tens of milliseconds
    // of CPU to warm up, so many slots of one brief each were the slower
    // way to overlap requests that take seconds.
    if (m_llm) {
      for (std::size_t k : ask_llm(made, live, fail_job)) items[k].not_started = true;
      if (live.empty()) return items;
    }
    // 4. Store the batch and complete its jobs in one transaction.
    std::vector<json> failures(n);
    std::vector<db::brief_store::StoreInput> inputs;
    inputs.reserve(live.size());
    for (std::size_t k : live) inputs.push_back(store_input(*jobs[k], made[k], now, failures[k]));
    std::vector<const db::brief_store::StoreInput*> input_ptrs;
    std::vector<const queue::Job*> live_jobs;
    for (std::size_t j = 0; j < live.size(); ++j) {
      input_ptrs.push_back(&inputs[j]);
      live_jobs.push_back(jobs[live[j]]);
    }
    // A job's total is its share of the batch's time.
    const auto share = [&](double ms) { return ms / static_cast<double>(n); };
    std::vector<json> results(n);
    t0 = SteadyClock::now();
    try {
      const auto stored = db::brief_store::store_and_complete_many(
          cx, live_jobs, input_ptrs, [&](std::size_t j, const db::brief_store::StoreResult& r) {
            const std::size_t k = live[j];
            results[k] = result_json(made[k], r, failures[k], ms_since(t0) / static_cast<double>(live.size()),
                                     share(ms_since(t_batch)));
            return results[k];
          });
      const double seconds = share(ms_since(t_batch)) / 1000.0;
      for (std::size_t j = 0; j < live.size(); ++j) {
        const std::size_t k = live[j];
        finished(cx, *jobs[k], made[k], stored[j], results[k]);
        items[k].outcome = worker::Outcome::done(results[k], true);
        items[k].seconds = seconds;
      }
      return items;
    } catch (const std::exception& e) {
      if (is_connection_lost(cx, e)) throw;
      spdlog::info("storing a batch of {} briefs failed ({}); storing them one at a time", live.size(),
                   db::redact(e.what()));
    }
    // One transaction per brief: only the brief at fault fails.
    const double before_ms = share(ms_since(t_batch));
    for (std::size_t j = 0; j < live.size(); ++j) {
      const std::size_t k = live[j];
      const auto t_store = SteadyClock::now();
      try {
        const auto stored = db::brief_store::store_and_complete(
            cx, *jobs[k], inputs[j], [&](const db::brief_store::StoreResult& r) {
              results[k] = result_json(made[k], r, failures[k], ms_since(t_store), before_ms + ms_since(t_store));
              return results[k];
            });
        finished(cx, *jobs[k], made[k], stored, results[k]);
        items[k].outcome = worker::Outcome::done(results[k], true);
      } catch (const std::exception& e) {
        items[k].error = std::current_exception();
        if (is_connection_lost(cx, e)) {
          // The briefs stored so far are reported; this one and the rest
          // end the slot (their leases expire and they are rescued).
          for (std::size_t rest = j + 1; rest < live.size(); ++rest) items[live[rest]].error = items[k].error;
          return items;
        }
        if (!dynamic_cast<const queue::LeaseLost*>(&e)) notify_failed(cx, *jobs[k], specs[k], e);
      }
      items[k].seconds = (before_ms + ms_since(t_store)) / 1000.0;
    }
    return items;
  }

  const Counters& counters() const { return m_counters; }

private:
  static bool is_connection_lost(const pqxx::connection& cx, const std::exception& e) {
    return db::is_connection_lost(e) || !cx.is_open();
  }

  // Build the brief of `m.source` (a failing project is left out, logged).
  void build(Made& m, brief::TimePoint now) {
    const auto t0 = SteadyClock::now();
    try {
      m.built = brief::build(m.source.projects, m.spec.brief_date, m.source.timezone, now, m_settings,
                             m_faults);
    } catch (const UsageError& e) {
      throw queue::PermanentError(e.what());
    }
    for (const auto& f : m.built.failures) {
      spdlog::warn("user {}: project \"{}\" ({}) left out of the {} brief: {}", m.spec.user_id,
                   f.project_name, f.project_id, m.spec.brief_date, f.error);
    }
    m.build_ms = ms_since(t0);
  }

  bool wants_llm(const Made& m) const { return m_llm && !m.built.projects.empty(); }

  // Ask for the analyses of made[k], k in `live`, all at once; each brief's
  // llm_ms is its own request's time, retries included. A brief whose
  // request cannot be made fails alone (`fail`). On SIGINT or SIGTERM the
  // wait ends at once: `live` keeps the briefs whose analyses are back (and
  // those that needed none), and the others are returned, for their jobs to
  // be given back untouched: a stop never waits on a slow endpoint (its
  // deadline is minutes), and the next worker builds them again.
  template <typename Fail>
  std::vector<std::size_t> ask_llm(std::vector<Made>& made, std::vector<std::size_t>& live, Fail&& fail) {
    std::vector<std::pair<std::size_t, std::future<http::LlmResult>>> asked;
    std::vector<std::size_t> keep;
    for (std::size_t k : live) {
      if (!wants_llm(made[k])) {
        keep.push_back(k);
        continue;
      }
      try {
        asked.emplace_back(k, m_llm->submit(llm_request(made[k])));
      } catch (const std::exception&) {
        fail(k, std::current_exception());
      }
    }
    std::vector<std::size_t> unanswered;
    for (auto& [k, answer] : asked) {
      while (answer.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready
             && !cli::stop_requested()) {
      }
      if (answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        unanswered.push_back(k);
        continue;
      }
      const http::LlmResult r = answer.get();
      made[k].llm_ms = r.seconds * 1000.0;
      take_llm(made[k], r);
      keep.push_back(k);
    }
    std::sort(keep.begin(), keep.end());
    live = std::move(keep);
    return unanswered;
  }

  llm::Request llm_request(const Made& m) const {
    const JobSpec& spec = m.spec;
    if (spec.is_reengagement && spec.days_since_last_login > 0) {
      llm::ReengagementInput in;
      in.days_since_last_login = spec.days_since_last_login;
      in.last_visit = m.source.user.user.last_visit;
      in.projects = &m.source.projects;
      return llm::reengagement_request(m.built, spec.brief_date, m.source.timezone, in);
    }
    return llm::analysis_request(m.built, spec.brief_date, m.source.timezone);
  }

  void take_llm(Made& m, const http::LlmResult& r) {
    if (r.ok) {
      m.analysis = r.content;
      m.llm_status = "ok";
    } else {
      m.llm_status = "failed";
      m.llm_error = r.error;
      spdlog::warn("user {}: LLM analysis of the {} brief failed after {} attempt(s): {}",
                   m.spec.user_id, m.spec.brief_date, r.attempts, r.error);
    }
  }

  // What to store for `m`; `failures` receives the failed projects.
  db::brief_store::StoreInput store_input(const queue::Job& job, const Made& m, brief::TimePoint started,
                                          json& failures) const {
    const JobSpec& spec = m.spec;
    const auto& user = m.source.user;
    db::brief_store::StoreInput in;
    in.user_id = spec.user_id;
    in.brief_date = spec.brief_date;
    in.timezone = m.source.timezone;
    in.built = &m.built;
    in.llm_analysis = m.analysis;
    in.llm_status = m.llm_status;
    in.started_at = started;
    const bool reengage = spec.is_reengagement && spec.days_since_last_login > 0;
    const std::string subject = reengage ? brief::reengagement_subject(spec.days_since_last_login)
                                         : brief::daily_subject(spec.brief_date);
    failures = json::array();
    for (const auto& f : m.built.failures) {
      failures.push_back({{"project_id", f.project_id}, {"name", f.project_name}, {"error", f.error}});
    }
    in.metadata = {{"queue_job_id", job.id},
                   {"generated_via", "briefos-generate"},
                   {"timezone", m.source.timezone},
                   {"is_reengagement", reengage},
                   {"days_since_last_login", spec.days_since_last_login},
                   {"email_subject", reengage ? json(subject) : json(nullptr)},
                   {"llm_error", m.llm_error.empty() ? json(nullptr) : json(m.llm_error)},
                   {"failed_projects", failures},
                   {"email_held_back", spec.hold_email}};
    const bool opted_in = user.email_daily_brief && user.preferences_active;
    if (opted_in && !spec.hold_email && (!m.built.is_empty || m_o.email_empty)) {
      db::brief_store::StoreInput::Email e;
      e.subject = subject;
      e.from_email = m_o.email_from;
      e.from_name = m_o.email_from_name;
      e.to_email = user.user.email;
      e.to_name = user.user.name;
      e.is_reengagement = reengage;
      e.force = spec.force;
      in.email = e;
    }
    return in;
  }

  // The result recorded on the job (and printed by --json).
  static json result_json(const Made& m, const db::brief_store::StoreResult& r, const json& failures,
                          double store_ms, double total_ms) {
    const JobSpec& spec = m.spec;
    return {{"brief_id", r.brief_id},
            {"user_id", spec.user_id},
            {"brief_date", spec.brief_date},
            {"timezone", m.source.timezone},
            {"email_id", r.email_id ? json(*r.email_id) : json(nullptr)},
            {"email_job_id", r.email_job_id ? json(*r.email_job_id) : json(nullptr)},
            {"email_action", r.email_action.empty() ? (spec.hold_email ? json("held_back") : json(nullptr))
                                                    : json(r.email_action)},
            {"replaced", r.replaced},
            {"is_empty", m.built.is_empty},
            {"projects",
             {{"succeeded", m.built.succeeded},
              {"failed", m.built.failures.size()},
              {"skipped", m.built.skipped}}},
            {"failed_projects", failures},
            {"llm", m.llm_status},
            {"llm_error", m.llm_error.empty() ? json(nullptr) : json(m.llm_error)},
            {"timing_ms",
             {{"load", round_ms(m.load_ms)},
              {"build", round_ms(m.build_ms)},
              {"llm", round_ms(m.llm_ms)},
              {"store", round_ms(store_ms)},
              {"total", round_ms(total_ms)}}}};
  }

  // After the brief of `job` committed: count it, and NOTIFY with
  // --notify-events.
  void finished(pqxx::connection& cx, const queue::Job& job, const Made& m,
                const db::brief_store::StoreResult& stored, const json& result) {
    if (stored.email_action == "created") ++m_counters.emails;
    (m.llm_status == "ok" ? m_counters.llm_ok
                          : m.llm_status == "failed" ? m_counters.llm_failed : m_counters.llm_skipped)++;
    m_counters.projects_failed += static_cast<long long>(m.built.failures.size());
    if (m_o.notify_events) {
      db::brief_store::notify_event(cx, {{"event", "brief_completed"},
                                         {"user_id", m.spec.user_id},
                                         {"brief_id", stored.brief_id},
                                         {"brief_date", m.spec.brief_date},
                                         {"job_id", job.id},
                                         {"email_id", result["email_id"]}});
    }
  }

  // With --notify-events, NOTIFY that `job` failed with `e`.
  void notify_failed(pqxx::connection& cx, const queue::Job& job, const JobSpec& spec,
                     const std::exception& e) {
    if (!m_o.notify_events || !cx.is_open()) return;
    const bool last = queue::is_permanent(e) || job.attempts >= job.max_attempts;
    db::brief_store::notify_event(
        cx, {{"event", "brief_failed"},
             {"user_id", spec.user_id.empty() ? json(job.user_id.value_or("")) : json(spec.user_id)},
             {"brief_date", spec.brief_date.empty() ? json(nullptr) : json(spec.brief_date)},
             {"job_id", job.id},
             {"final", last},
             {"error", db::redact(e.what())}});
  }

  // Each job of `jobs` through handle(), in its own transactions.
  std::vector<worker::BatchItem> one_by_one(pqxx::connection& cx, const std::vector<const queue::Job*>& jobs) {
    std::vector<worker::BatchItem> items(jobs.size());
    for (std::size_t k = 0; k < jobs.size(); ++k) {
      if (k > 0 && cli::stop_requested()) {
        // Shutdown: the rest of the batch is given back untouched.
        for (std::size_t rest = k; rest < jobs.size(); ++rest) items[rest].not_started = true;
        return items;
      }
      const auto t0 = SteadyClock::now();
      try {
        items[k].outcome = handle(cx, *jobs[k]);
      } catch (const std::exception& e) {
        items[k].error = std::current_exception();
        if (is_connection_lost(cx, e)) {
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

  const Options& m_o;
  std::unordered_set<std::string> m_faults;
  brief::Settings m_settings;
  std::unique_ptr<http::LlmClient> m_llm;
  Counters m_counters;
};

ordered_json json_line(const worker::Report& r) {
  const queue::Job& job = *r.job;
  const json& res = r.result;
  const bool have = res.is_object() && res.contains("brief_id");
  const json& md = job.metadata;
  const auto meta = [&](const char* key) -> ordered_json {
    if (md.is_object() && md.contains(key) && md[key].is_string()) return md[key].get<std::string>();
    return nullptr;
  };
  ordered_json j;
  j["job_id"] = job.id;
  j["user_id"] = have ? ordered_json(res["user_id"]) : (job.user_id ? ordered_json(*job.user_id) : meta("userId"));
  j["brief_id"] = have ? ordered_json(res["brief_id"]) : ordered_json(nullptr);
  j["brief_date"] = have ? ordered_json(res["brief_date"]) : meta("briefDate");
  j["email_id"] = have ? ordered_json(res["email_id"]) : ordered_json(nullptr);
  j["email_job_id"] = have ? ordered_json(res["email_job_id"]) : ordered_json(nullptr);
  j["status"] = r.status == worker::Status::lost || r.status == worker::Status::released
                    ? std::string("retrying")
                    : std::string(worker::to_string(r.status));
  if (have) {
    const json& pr = res["projects"];
    j["projects"] = {{"succeeded", pr["succeeded"]}, {"failed", pr["failed"]}, {"skipped", pr["skipped"]}};
    j["llm"] = res["llm"];
  } else {
    j["projects"] = {{"succeeded", 0}, {"failed", 0}, {"skipped", 0}};
    j["llm"] = "skipped";
  }
  j["duration_ms"] = round_ms(r.seconds * 1000);
  if (r.status != worker::Status::completed) j["error"] = r.error;
  return j;
}

std::string human_line(const worker::Report& r) {
  const ordered_json j = json_line(r);
  const auto text = [](const ordered_json& v) {
    return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string("-") : v.dump();
  };
  std::string s = std::to_string(r.job->id) + "  " + j["status"].get<std::string>() + "  "
                  + text(j["brief_date"]) + "  user " + text(j["user_id"]);
  if (!j["brief_id"].is_null()) {
    s += "  brief " + text(j["brief_id"]) + "  projects "
         + std::to_string(j["projects"]["succeeded"].get<long long>()) + " ok/"
         + std::to_string(j["projects"]["failed"].get<long long>()) + " failed/"
         + std::to_string(j["projects"]["skipped"].get<long long>()) + " quiet  email "
         + (j["email_id"].is_null() ? std::string("-") : text(j["email_id"])) + "  llm "
         + text(j["llm"]);
  } else if (j.contains("error")) {
    s += "  error: " + text(j["error"]);
  }
  s += "  " + std::to_string(j["duration_ms"].get<long long>()) + " ms";
  return s;
}

int run_dry(cli::Context& ctx, const Options& o, Generator& gen) {
  auto cx = db::connect(ctx.database_url, ctx.tool_name);
  std::vector<JobSpec> specs;
  if (!o.user.empty()) {
    const auto u = db::brief_store::find_user(*cx, o.user);
    if (!u) throw UsageError("no user \"" + o.user + "\"");
    JobSpec s;
    s.user_id = u->user.id;
    const std::string zone = u->has_preferences ? u->timezone : "UTC";
    s.brief_date = o.date.empty() ? brief::local_date(std::chrono::time_point_cast<std::chrono::milliseconds>(
                                                          std::chrono::system_clock::now()),
                                                      zone)
                                  : o.date;
    specs.push_back(s);
  } else {
    std::vector<db::brief_store::JobInfo> jobs;
    if (o.worker.mode == worker::Mode::ids) {
      jobs = db::brief_store::read_jobs(*cx, o.worker.ids);
    } else {
      jobs = db::brief_store::due_brief_jobs(*cx, o.worker.max_jobs > 0 ? o.worker.max_jobs : o.worker.batch);
    }
    for (const auto& j : jobs) {
      if (j.type != "generate_daily_brief") {
        spdlog::warn("job {} is a {} job; skipped", j.id, j.type);
        continue;
      }
      specs.push_back(parse_spec(j.metadata, j.user_id));
    }
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto m = gen.make(*cx, specs[i], false);
    if (specs.size() > 1) {
      ctx.out << (i > 0 ? "\n" : "") << "<!-- user " << specs[i].user_id << ", " << specs[i].brief_date
              << " -->\n";
    }
    ctx.out << m.built.markdown;
    if (!ctx.quiet) {
      ctx.err << ctx.tool_name << ": dry run: brief of user " << specs[i].user_id << " for "
              << specs[i].brief_date << " (" << m.source.timezone << "): " << m.built.succeeded
              << " projects, " << m.built.skipped << " quiet, " << m.built.failures.size()
              << " failed" << (m.built.is_empty ? ", empty" : "") << "; nothing written\n";
    }
  }
  return exit_ok;
}

int run(cli::Context& ctx, Options& o) {
  // CLI::Range lets NaN through (every comparison with it is false), and a
  // NaN turned into milliseconds is undefined behaviour.
  if (std::isnan(o.llm_timeout_s)) {
    throw UsageError("invalid value \"nan\" for option --llm-timeout: expected SECONDS from 0.1 to 3600");
  }
  if (!o.date.empty()) brief::validate_date(o.date);
  if (!o.date.empty() && o.user.empty()) throw UsageError("--date needs --user");
  if (o.force && o.user.empty()) throw UsageError("--force needs --user");
  if (!o.user.empty() && !o.jobs_from.empty()) throw UsageError("--user and --jobs cannot be used together");
  if (!o.llm_url.empty() && o.llm_models.empty()) {
    throw UsageError("--llm-url needs a model", "Name one or more with --llm-model.");
  }
  // The sender is stored on every email row this run creates; one that
  // briefos-email cannot put in a header would fail each of those emails
  // later, for good. Refuse it now, as briefos-email does with --from.
  try {
    mime::check_header_text("the value of option --email-from", o.email_from);
    mime::check_header_text("the value of option --email-from-name", o.email_from_name);
  } catch (const mime::MimeError& e) {
    throw UsageError(e.what());
  }
  if (!mime::is_valid_address(o.email_from)) {
    throw UsageError("invalid value \"" + o.email_from + "\" for option --email-from: not an email address");
  }
  worker::resolve_jobs(o.worker, o.jobs_from);
  Generator gen(o);
  if (o.dry_run) return run_dry(ctx, o, gen);

  long long total = 0;
  if (!o.user.empty()) {
    auto cx = db::connect(ctx.database_url, ctx.tool_name);
    const auto u = db::brief_store::find_user(*cx, o.user);
    if (!u) throw UsageError("no user \"" + o.user + "\"");
    const std::string zone = u->has_preferences ? u->timezone : "UTC";
    if (!brief::is_valid_zone(zone)) {
      throw Error("user " + u->user.id + " has an unknown time zone \"" + zone + "\"",
                  "Fix user_brief_preferences.timezone; briefos never falls back to UTC.");
    }
    const std::string date =
        o.date.empty() ? brief::local_date(std::chrono::time_point_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now()),
                                           zone)
                       : o.date;
    const auto b = db::brief_store::enqueue_backfill(*cx, u->user.id, date, zone, o.force);
    if (!b.cancelled.empty()) {
      spdlog::info("cancelled {} active job(s) for this brief", b.cancelled.size());
    }
    if (!b.inserted) spdlog::info("job {} for this brief was already queued; processing it", b.job_id);
    o.worker.mode = worker::Mode::ids;
    o.worker.ids = {b.job_id};
  }
  if (o.worker.mode == worker::Mode::ids) {
    total = static_cast<long long>(o.worker.ids.size());
  } else if (o.worker.mode == worker::Mode::drain && ctx.err_is_tty && !ctx.quiet && !o.no_progress) {
    auto cx = db::connect(ctx.database_url, ctx.tool_name);
    total = db::brief_store::count_due_brief_jobs(*cx);
    if (o.worker.max_jobs > 0) total = std::min(total, o.worker.max_jobs);
  }
  Progress progress(ctx.err, ctx.err_is_tty && !ctx.quiet && !o.no_progress, total);
  std::mutex out_mu;
  const auto t0 = SteadyClock::now();
  const worker::Reporter reporter = [&](const worker::Report& r) {
    std::lock_guard lock(out_mu);
    if (r.status == worker::Status::released) return;
    progress.clear();
    if (o.json) {
      ctx.out << json_line(r).dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    } else {
      ctx.out << human_line(r) << "\n";
    }
    ctx.out.flush();
    progress.tick();
  };
  const worker::BatchHandler handler = [&gen](db::Session& session,
                                              const std::vector<const queue::Job*>& jobs) {
    return gen.handle_batch(db::detail::cx(session), jobs);
  };
  const worker::Totals t =
      worker::run(ctx.database_url, ctx.tool_name, {"generate_daily_brief"}, o.worker, handler, reporter);
  progress.clear();
  const double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  if (!o.user.empty() && t.claimed == 0) {
    throw Error("job " + std::to_string(o.worker.ids.front())
                    + " was not pending (another worker has it, or it already finished)",
                "Run again with --force to regenerate the brief.");
  }
  if (!ctx.quiet) {
    const Counters& c = gen.counters();
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", secs > 0 ? static_cast<double>(t.completed) / secs : 0.0);
    ctx.err << ctx.tool_name << ": " << t.completed << " brief(s) completed, " << t.retried
            << " retrying, " << t.failed << " failed" << (t.lost > 0 ? ", " + std::to_string(t.lost) + " lost" : "")
            << " in " << std::to_string(round_ms(secs * 1000)) << " ms (" << rate << "/s); "
            << c.emails.load() << " email(s) queued; LLM ok " << c.llm_ok.load() << ", failed "
            << c.llm_failed.load() << ", skipped " << c.llm_skipped.load();
    if (c.projects_failed.load() > 0) ctx.err << "; " << c.projects_failed.load() << " project(s) left out";
    ctx.err << "\n";
  }
  return worker::exit_status(t);
}

}  // namespace

std::function<int(cli::Context&)> setup(cli::Tool& tool) {
  auto o = std::make_shared<Options>();
  CLI::App& app = tool.app();
  // A batch of briefs is loaded and stored with one set of statements, so a
  // larger batch amortises them: bench/generate drained 602 briefs/s with
  // --batch 25 against 506/s with the worker default of 10 (50 was no
  // better than 25). It also holds 25 briefs' data in memory per slot, a
  // few MB.
  o->worker.batch = 25;
  worker::add_options(app, o->worker, o->jobs_from);
  // worker::add_options' own wording of these two is 81 columns wide in
  // --help; keep ours inside the 80-column contract.
  app.get_option("--lease")->description("Seconds a job is held before rescue [300]");
  app.get_option("--poll-interval")->description("Idle poll backstop in ms [2000]");
  app.add_option("--user", o->user, "Backfill: the user (uuid or email)")->type_name("ID|EMAIL");
  app.add_option("--date", o->date, "Backfill: brief date (default: user's today)")
      ->type_name("YYYY-MM-DD");
  app.add_flag("--force", o->force, "Backfill: regenerate even if already queued");
  app.add_flag("-n,--dry-run", o->dry_run, "Print the brief Markdown; write nothing");
  app.add_flag("--json", o->json, "One JSON line per brief on stdout");
  app.add_flag("--email-empty", o->email_empty, "Email briefs with nothing in them too");
  tool.bind_env(app.add_option("--email-from", o->email_from, "Sender address of brief emails")
                    ->type_name("ADDR")
                    ->capture_default_str(),
                {"BRIEFOS_EMAIL_FROM"});
  tool.bind_env(app.add_option("--email-from-name", o->email_from_name, "Sender name")
                    ->type_name("NAME")
                    ->capture_default_str(),
                {"BRIEFOS_EMAIL_FROM_NAME"});
  app.add_flag("--holidays", o->holidays, "Name holidays under the title");
  tool.bind_env(app.add_option("--llm-url", o->llm_url, "OpenAI-compatible endpoint for analysis")
                    ->type_name("URL"),
                {"BRIEFOS_LLM_URL"});
  tool.bind_env(app.add_option("--llm-model", o->llm_models, "Model; repeat for fallbacks")
                    ->type_name("MODEL")
                    ->delimiter(',')
                    ->default_str(""),
                {"BRIEFOS_LLM_MODEL"});
  tool.bind_env(app.add_option("--llm-api-key-file", o->llm_api_key_file,
                               "Read the API key from FILE")
                    ->type_name("FILE"),
                {"BRIEFOS_LLM_API_KEY_FILE"});
  app.add_option("--llm-timeout", o->llm_timeout_s, "Seconds per LLM request")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--llm-max-in-flight", o->llm_max_in_flight, "LLM requests open at once")
      ->type_name("N")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--notify-events", o->notify_events, "NOTIFY briefos_events after each brief");
  app.add_option("--overdue-limit", o->overdue_limit, "Overdue tasks listed per project")
      ->type_name("N")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_flag("--no-progress", o->no_progress, "No progress bar, even on a terminal");
  return [o](cli::Context& ctx) { return run(ctx, *o); };
}

}  // namespace briefos::generate_command
