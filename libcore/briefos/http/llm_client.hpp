// SPDX-License-Identifier: MIT
#pragma once

// An OpenAI-compatible chat-completions client over libcurl's multi
// interface: one background thread keeps up to `max_in_flight` requests
// open at once for any number of callers (the worker slots), with a
// timeout, retries with backoff on 429/5xx, and a fallback model list.

#include "briefos/llm.hpp"

#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace briefos::http {

struct LlmConfig {
  std::string url;                  // base URL, or the full .../v1/chat/completions
                                    // (https://, or http:// to loopback: see util::require_private_channel)
  std::vector<std::string> models;  // first preferred, the rest fallbacks
  std::optional<std::string> api_key;  // sent as Authorization: Bearer
  std::chrono::milliseconds timeout{60000};        // one HTTP attempt
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds deadline{180000};      // all attempts of one request, from the first
  int max_in_flight = 16;
  int retries = 2;  // extra attempts per model on 429, 5xx and connection errors
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_cap{20000};
  std::chrono::milliseconds retry_after_cap{60000};
  std::size_t max_response_bytes = 4U << 20U;
};

// The outcome of one request, after every retry and fallback.
struct LlmResult {
  bool ok = false;
  std::string content;  // the analysis Markdown when ok
  std::string model;    // the model that answered (or was last tried)
  std::string error;    // why not, when !ok
  int attempts = 0;     // HTTP attempts made
  double seconds = 0;
};

// `url` with /v1/chat/completions appended to its path unless the path
// already ends with it (a trailing slash is dropped first); a query string
// stays at the end.
std::string endpoint_url(const std::string& url);

class LlmClient {
public:
  // Starts the transfer thread. Throws UsageError without a URL or model.
  explicit LlmClient(LlmConfig config);
  // Fails whatever is still queued or in flight ("client shut down") and
  // joins the thread.
  ~LlmClient();
  LlmClient(const LlmClient&) = delete;
  LlmClient& operator=(const LlmClient&) = delete;

  // Queue `request`; the future is always fulfilled (never throws): errors
  // come back as LlmResult{ok = false}.
  std::future<LlmResult> submit(llm::Request request);

  // submit(...).get()
  LlmResult complete(llm::Request request);

  const LlmConfig& config() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace briefos::http
