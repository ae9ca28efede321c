// SPDX-License-Identifier: MIT
// The LLM analysis of built briefs: see analysis.hpp. A batch's requests
// are all in flight at once and the batch is stored when the last is back:
// a slot with one connection thus keeps many requests open, which beats
// many slots of one brief each (a fresh PostgreSQL backend costs tens of
// milliseconds of CPU to warm up, and the requests take seconds).
#include "briefos/app/generate/analysis.hpp"

#include "briefos/cli.hpp"
#include "briefos/llm.hpp"
#include "briefos/util/stop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>

namespace briefos::generate {

Analysis::Analysis(const Options& o) {
  if (o.llm_url.empty()) return;
  http::LlmConfig cfg;
  cfg.url = o.llm_url;
  cfg.models = o.llm_models;
  cfg.api_key = cli::read_secret({"BRIEFOS_LLM_API_KEY"}, o.llm_api_key_file);
  cfg.timeout = std::chrono::milliseconds(static_cast<long long>(o.llm_timeout_s * 1000));
  cfg.deadline = std::max(cfg.deadline, cfg.timeout * 3);
  cfg.max_in_flight = o.llm_max_in_flight;
  m_llm = std::make_unique<http::LlmClient>(std::move(cfg));
}

bool Analysis::wants(const Made& m) const { return m_llm && !m.built.projects.empty(); }

void Analysis::ask(Made& m) {
  const auto t0 = std::chrono::steady_clock::now();
  take(m, m_llm->complete(request(m)));
  m.llm_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::size_t> Analysis::ask_batch(std::vector<Made>& made, std::vector<std::size_t>& live,
                                             const std::function<void(std::size_t, std::exception_ptr)>& fail) {
  std::vector<std::pair<std::size_t, std::future<http::LlmResult>>> asked;
  std::vector<std::size_t> keep;
  for (std::size_t k : live) {
    if (!wants(made[k])) {
      keep.push_back(k);
      continue;
    }
    try {
      asked.emplace_back(k, m_llm->submit(request(made[k])));
    } catch (const std::exception&) {
      fail(k, std::current_exception());
    }
  }
  std::vector<std::size_t> unanswered;
  for (auto& [k, answer] : asked) {
    while (answer.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready
           && !util::stop_requested()) {
    }
    if (answer.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      unanswered.push_back(k);
      continue;
    }
    const http::LlmResult r = answer.get();
    made[k].llm_ms = r.seconds * 1000.0;
    take(made[k], r);
    keep.push_back(k);
  }
  std::sort(keep.begin(), keep.end());
  live = std::move(keep);
  return unanswered;
}

llm::Request Analysis::request(const Made& m) const {
  const JobSpec& spec = m.spec;
  if (spec.reengage()) {
    llm::ReengagementInput in;
    in.days_since_last_login = spec.days_since_last_login;
    in.last_visit = m.source.user.user.last_visit;
    in.projects = &m.source.projects;
    return llm::reengagement_request(m.built, spec.brief_date, m.source.timezone, in);
  }
  return llm::analysis_request(m.built, spec.brief_date, m.source.timezone);
}

void Analysis::take(Made& m, const http::LlmResult& r) {
  if (r.ok) {
    m.analysis = r.content;
    m.llm_status = LlmStatus::ok;
  } else {
    m.llm_status = LlmStatus::failed;
    m.llm_error = r.error;
    spdlog::warn("user {}: LLM analysis of the {} brief failed after {} attempt(s): {}", m.spec.user_id,
                 m.spec.brief_date, r.attempts, r.error);
  }
}

}  // namespace briefos::generate
