// SPDX-License-Identifier: MIT
#pragma once

// The LLM analysis of built briefs (--llm-url): which brief gets which
// prompt (the re-engagement one when the scheduler flagged the job), and
// waiting for a batch's answers. A failed request leaves the brief complete
// without analysis (llm_status failed, the reason kept); only a request
// that cannot even be made fails its job.

#include "briefos/app/generate/options.hpp"
#include "briefos/app/generate/result.hpp"
#include "briefos/http/llm_client.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <vector>

namespace briefos::generate {

class Analysis {
public:
  // No client (every brief skipped) unless `o.llm_url` is set. Throws
  // UsageError for an unreadable API key file.
  explicit Analysis(const Options& o);

  bool enabled() const { return m_llm != nullptr; }

  // True if `m` gets an analysis: a client, and projects to analyse.
  bool wants(const Made& m) const;

  // Ask for the analysis of `m` and wait for it.
  void ask(Made& m);

  // Ask for the analyses of made[k], k in `live`, all at once (up to
  // --llm-max-in-flight across slots); each brief's llm_ms is its own
  // request's time, retries included. A brief whose request cannot be made
  // is handed to `fail` and dropped. On SIGINT or SIGTERM the wait ends at
  // once: `live` keeps the briefs whose analyses are back (and those that
  // needed none), and the others are returned, for their jobs to be given
  // back untouched: a stop never waits on a slow endpoint (its deadline is
  // minutes), and the next worker builds them again.
  std::vector<std::size_t> ask_batch(std::vector<Made>& made,
                                     std::vector<std::size_t>& live,
                                     const std::function<void(std::size_t, std::exception_ptr)>& fail);

private:
  llm::Request request(const Made& m) const;
  static void take(Made& m, const http::LlmResult& r);

  std::unique_ptr<http::LlmClient> m_llm;
};

}  // namespace briefos::generate
