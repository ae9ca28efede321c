// SPDX-License-Identifier: MIT
#pragma once

// The work of briefos-generate: the worker's batch handler for
// generate_daily_brief jobs (parse, load, build, analyse, store and
// complete), and the making of one brief for --dry-run.

#include "briefos/app/generate/analysis.hpp"
#include "briefos/app/generate/job_spec.hpp"
#include "briefos/app/generate/options.hpp"
#include "briefos/app/generate/result.hpp"
#include "briefos/brief.hpp"
#include "briefos/db/brief_store.hpp"
#include "briefos/db/session.hpp"
#include "briefos/worker.hpp"

#include <atomic>
#include <exception>
#include <string>
#include <unordered_set>
#include <vector>

namespace briefos::generate {

// What a run did besides completing jobs, for the summary.
struct Counters {
  std::atomic<long long> emails{0};
  std::atomic<long long> llm_ok{0};
  std::atomic<long long> llm_failed{0};
  std::atomic<long long> llm_skipped{0};
  std::atomic<long long> projects_failed{0};
};

class Generator {
public:
  // Throws UsageError for an unreadable LLM API key file.
  explicit Generator(const Options& o);

  // Load and build the brief of `spec` on `session`, and with `analyse` ask
  // the LLM for its analysis. Throws PermanentError for an unknown user or
  // zone.
  Made make(db::Session& session, const JobSpec& spec, bool analyse);

  // A worker::BatchHandler: a whole claimed batch with one set of load
  // statements and one store transaction for all its briefs. Failures stay
  // per job: a job whose metadata, user, zone, build or LLM request fails
  // fails alone; when a batch statement fails (one user's data the database
  // refuses, a lost lease, a deadlock) the batch is done again one job at a
  // time, so that only the job at fault fails. A lost connection ends the
  // batch (thrown).
  std::vector<worker::BatchItem> handle_batch(db::Session& session, const std::vector<const queue::Job*>& jobs);

  const Counters& counters() const { return m_counters; }

private:
  struct Batch;

  worker::Outcome handle(db::Session& session, const queue::Job& job);
  std::vector<worker::BatchItem> one_by_one(db::Session& session, const std::vector<const queue::Job*>& jobs);
  void fail(db::Session& session, Batch& b, std::size_t k, std::exception_ptr error);
  bool load_batch(db::Session& session, Batch& b);
  void store_batch(db::Session& session, Batch& b);
  void build(Made& m, brief::TimePoint now);
  void finished(db::Session& session, const queue::Job& job, const Made& m, const db::brief_store::Completed& done);
  void notify_failed(db::Session& session, const queue::Job& job, const JobSpec& spec, const std::exception& e);

  const Options& m_o;
  EmailSettings m_email;
  std::unordered_set<std::string> m_faults;
  brief::Settings m_settings;
  Analysis m_analysis;
  Counters m_counters;
};

}  // namespace briefos::generate
