// SPDX-License-Identifier: MIT
//
// The LLM transport. Briefs are built by several worker slots at once and
// each waits for its analysis; an LLM answers in seconds, so the requests
// of all slots must overlap. One thread owns a curl multi handle and runs
// every transfer; callers hand it requests through a queue and wait on a
// future. At most `max_in_flight` transfers are open at a time; the rest
// wait their turn in order.
//
// Retry policy, per request:
// - HTTP 429 and 5xx, and connection-level errors (refused, reset, DNS),
//   are retried on the same model up to `retries` more times, after
//   `Retry-After` seconds when the server sent it (capped), else after an
//   exponential backoff with jitter (base * 2^(n-1), capped).
// - A timeout, a response that is not a usable completion, a too-large
//   response, and any other 4xx move on to the next model at once: the
//   same model is unlikely to do better a moment later.
// - 401 and 403 stop at once: no model will accept a bad key.
// - The whole request, all attempts included, ends by `deadline`, counted
//   from its first attempt (not from time queued behind max_in_flight).
// When every model has failed, the result says why (the last error), and
// the brief is stored without analysis.
//
// Responses are read into memory up to `max_response_bytes`; a larger one
// aborts the transfer. The API key is only ever in the Authorization header
// list, never in a message; every error text is also passed through
// util::redact, so a URL a server or libcurl quotes (with a key in its query
// or userinfo) is masked too. Plain http:// to another host is refused by
// briefos-generate's options (util::require_private_channel) before a
// client exists.
#include "briefos/http/llm_client.hpp"

#include "briefos/util/secrets.hpp"
#include "briefos/util/text.hpp"

#include "briefos/error.hpp"
#include "briefos/version.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace briefos::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Work {
  llm::Request request;
  std::promise<LlmResult> promise;
  std::size_t model_index = 0;
  int model_attempt = 0;
  int attempts = 0;
  // Submitted, then reset at the first attempt: the deadline and the
  // reported time count from there, not from time spent queued behind
  // max_in_flight (a batch of 100 briefs queues most of its requests).
  Clock::time_point started;
  bool begun = false;
  Clock::time_point not_before;
  std::string body;
  std::string response;
  bool too_large = false;
  std::optional<long> retry_after_s;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string last_error;
  std::size_t max_bytes = 0;
};

extern "C" size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* w = static_cast<Work*>(user);
  const size_t n = size * nmemb;
  if (w->response.size() + n > w->max_bytes) {
    w->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  w->response.append(data, n);
  return n;
}

extern "C" size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
  auto* w = static_cast<Work*>(user);
  const size_t n = size * nmemb;
  std::string line(data, n);
  constexpr std::string_view key = "retry-after:";
  if (line.size() > key.size()) {
    if (util::lower(std::string_view(line).substr(0, key.size())) == key) {
      // Seconds only; an HTTP-date Retry-After is rare from these APIs and
      // falls back to our own backoff.
      std::size_t i = key.size();
      while (i < line.size() && line[i] == ' ') ++i;
      long v = 0;
      bool any = false;
      while (i < line.size() && line[i] >= '0' && line[i] <= '9' && v < 1000000) {
        v = v * 10 + (line[i] - '0');
        any = true;
        ++i;
      }
      if (any) w->retry_after_s = v;
    }
  }
  return n;
}

// The server's error text, untrusted, made fit for a log line and for
// daily_briefs.metadata: control characters become spaces. A NUL in
// particular must go, since jsonb refuses "\u0000" and the whole brief
// would fail with it instead of completing without the analysis.
std::string printable(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return s;
}

std::string http_error_detail(const std::string& body) {
  try {
    const auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("error")) {
      const auto& e = j["error"];
      if (e.is_object() && e.contains("message") && e["message"].is_string()) {
        return printable(e["message"].get<std::string>().substr(0, 200));
      }
      if (e.is_string()) return printable(e.get<std::string>().substr(0, 200));
    }
  } catch (const std::exception&) {
  }
  return printable(body.substr(0, 120));
}

}  // namespace

std::string endpoint_url(const std::string& url) {
  // A query (an api-version, a key some gateways take there) stays last.
  const std::size_t q = url.find('?');
  std::string u = url.substr(0, q);
  const std::string query = q == std::string::npos ? std::string() : url.substr(q);
  while (!u.empty() && u.back() == '/') u.pop_back();
  constexpr std::string_view suffix = "/v1/chat/completions";
  if (u.ends_with(suffix)) return u + query;
  if (u.ends_with("/v1")) return u + "/chat/completions" + query;
  return u + std::string(suffix) + query;
}

struct LlmClient::Impl {
  LlmConfig config;
  std::string endpoint;
  CURLM* multi = nullptr;
  std::mutex mutex;
  std::deque<std::unique_ptr<Work>> incoming;  // guarded by mutex
  bool stopping = false;                       // guarded by mutex
  std::deque<std::unique_ptr<Work>> waiting;   // transfer thread only
  std::vector<std::unique_ptr<Work>> active;   // transfer thread only
  std::thread thread;
  std::mt19937 rng{std::random_device{}()};

  // `text` with every occurrence of the API key replaced. Some servers and
  // proxies quote the credential they refused in their error message ("invalid
  // credential: Bearer sk-..."), and what the client returns ends up in logs,
  // job results and the stored brief (found by tests/cli/secrets.test.sh).
  std::string without_key(std::string text) const {
    if (!config.api_key || config.api_key->empty()) return text;
    const std::string& key = *config.api_key;
    constexpr std::string_view mask = "[redacted]";
    for (std::size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + mask.size())) {
      text.replace(p, key.size(), mask);
    }
    return text;
  }

  void finish(Work& w, bool ok, std::string content_or_error) {
    // An error is also masked for URL credentials; an analysis is the
    // model's text and keeps its links as written.
    content_or_error = without_key(ok ? std::move(content_or_error) : util::redact(content_or_error));
    LlmResult r;
    r.ok = ok;
    if (ok) {
      r.content = std::move(content_or_error);
    } else {
      r.error = std::move(content_or_error);
    }
    r.model = w.model_index < config.models.size() ? config.models[w.model_index]
                                                   : config.models.back();
    r.attempts = w.attempts;
    r.seconds = std::chrono::duration<double>(Clock::now() - w.started).count();
    w.promise.set_value(std::move(r));
  }

  bool start(Work& w) {
    const std::string& model = config.models[w.model_index];
    w.body = llm::request_body(w.request, model);
    w.response.clear();
    w.too_large = false;
    w.retry_after_s.reset();
    w.errbuf[0] = '\0';
    w.max_bytes = config.max_response_bytes;
    if (!w.begun) {
      w.begun = true;
      w.started = Clock::now();
    }
    const auto left = std::chrono::duration_cast<milliseconds>(w.started + config.deadline - Clock::now());
    if (left.count() <= 0) {
      finish(w, false, w.last_error.empty() ? "gave up: deadline reached" : w.last_error);
      return false;
    }
    w.easy = curl_easy_init();
    if (w.easy == nullptr) {
      finish(w, false, "could not create a curl handle");
      return false;
    }
    w.headers = curl_slist_append(nullptr, "Content-Type: application/json");
    w.headers = curl_slist_append(w.headers, "Accept: application/json");
    if (config.api_key && !config.api_key->empty()) {
      w.headers = curl_slist_append(w.headers, ("Authorization: Bearer " + *config.api_key).c_str());
    }
    const long timeout = static_cast<long>(std::min(config.timeout, left).count());
    curl_easy_setopt(w.easy, CURLOPT_URL, endpoint.c_str());
    curl_easy_setopt(w.easy, CURLOPT_POST, 1L);
    curl_easy_setopt(w.easy, CURLOPT_POSTFIELDS, w.body.c_str());
    curl_easy_setopt(w.easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(w.body.size()));
    curl_easy_setopt(w.easy, CURLOPT_HTTPHEADER, w.headers);
    curl_easy_setopt(w.easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(w.easy, CURLOPT_WRITEDATA, &w);
    curl_easy_setopt(w.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(w.easy, CURLOPT_HEADERDATA, &w);
    curl_easy_setopt(w.easy, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(w.easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout.count()));
    curl_easy_setopt(w.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w.easy, CURLOPT_ERRORBUFFER, w.errbuf);
    curl_easy_setopt(w.easy, CURLOPT_PRIVATE, &w);
    curl_easy_setopt(w.easy, CURLOPT_USERAGENT, (std::string("briefos/") + briefos::version).c_str());
    curl_easy_setopt(w.easy, CURLOPT_ACCEPT_ENCODING, "");
    ++w.attempts;
    ++w.model_attempt;
    curl_multi_add_handle(multi, w.easy);
    return true;
  }

  void release_handle(Work& w) {
    if (w.easy != nullptr) {
      curl_multi_remove_handle(multi, w.easy);
      curl_easy_cleanup(w.easy);
      w.easy = nullptr;
    }
    curl_slist_free_all(w.headers);
    w.headers = nullptr;
  }

  milliseconds backoff(int attempt) {
    const double base = static_cast<double>(config.backoff_base.count());
    double d = base * static_cast<double>(1LL << std::min(attempt - 1, 20));
    d = std::min(d, static_cast<double>(config.backoff_cap.count()));
    std::uniform_real_distribution<double> u(0.8, 1.2);
    return milliseconds(static_cast<long long>(d * u(rng)));
  }

  // Decide what a finished attempt means; returns the work to requeue, if any.
  std::unique_ptr<Work> settle(std::unique_ptr<Work> w, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
    const std::string errtext = w->errbuf[0] != '\0' ? std::string(w->errbuf) : curl_easy_strerror(code);
    release_handle(*w);
    const std::string& model = config.models[w->model_index];
    enum class Next { retry, next_model, stop } next = Next::stop;
    if (code == CURLE_OK && status >= 200 && status < 300) {
      try {
        llm::Response resp = llm::parse_response(w->response);
        if (resp.truncated()) {
          spdlog::warn("LLM answer from model \"{}\" was cut at the token limit", model);
        }
        finish(*w, true, std::move(resp.content));
        return nullptr;
      } catch (const llm::ResponseError& e) {
        w->last_error = "model \"" + model + "\": " + e.what();
        next = Next::next_model;
      }
    } else if (code == CURLE_OK) {
      w->last_error = "model \"" + model + "\": HTTP " + std::to_string(status) + ": "
                      + http_error_detail(w->response);
      if (status == 429 || status >= 500) {
        next = Next::retry;
      } else if (status == 401 || status == 403) {
        next = Next::stop;
      } else {
        next = Next::next_model;
      }
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      w->last_error = "model \"" + model + "\": timed out: " + errtext;
      next = Next::next_model;
    } else if (w->too_large) {
      w->last_error = "model \"" + model + "\": response larger than "
                      + std::to_string(config.max_response_bytes) + " bytes";
      next = Next::next_model;
    } else {
      w->last_error = "model \"" + model + "\": " + errtext;
      next = Next::retry;
    }
    w->last_error = without_key(util::redact(w->last_error));  // before it is logged
    const auto now = Clock::now();
    if (next == Next::retry && w->model_attempt <= config.retries) {
      milliseconds delay = backoff(w->model_attempt);
      if (w->retry_after_s) {
        delay = std::min(milliseconds(*w->retry_after_s * 1000), config.retry_after_cap);
      }
      if (now + delay >= w->started + config.deadline) {
        finish(*w, false, w->last_error + " (no time left to retry)");
        return nullptr;
      }
      spdlog::debug("LLM attempt {} failed ({}); retrying in {} ms", w->attempts, w->last_error,
                    delay.count());
      w->not_before = now + delay;
      return w;
    }
    if (next != Next::stop && w->model_index + 1 < config.models.size()) {
      spdlog::debug("LLM model \"{}\" failed ({}); trying \"{}\"", model, w->last_error,
                    config.models[w->model_index + 1]);
      ++w->model_index;
      w->model_attempt = 0;
      w->not_before = now;
      return w;
    }
    finish(*w, false, w->last_error);
    return nullptr;
  }

  void loop() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        while (!incoming.empty()) {
          waiting.push_back(std::move(incoming.front()));
          incoming.pop_front();
        }
        if (stopping) break;
      }
      auto now = Clock::now();
      for (auto it = waiting.begin();
           it != waiting.end() && active.size() < static_cast<std::size_t>(config.max_in_flight);) {
        if ((*it)->not_before <= now) {
          std::unique_ptr<Work> w = std::move(*it);
          it = waiting.erase(it);
          if (start(*w)) active.push_back(std::move(w));
        } else {
          ++it;
        }
      }
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Work* raw = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
        const CURLcode code = msg->data.result;
        auto it = std::find_if(active.begin(), active.end(),
                               [&](const std::unique_ptr<Work>& p) { return p.get() == raw; });
        if (it == active.end()) continue;
        std::unique_ptr<Work> w = std::move(*it);
        active.erase(it);
        if (auto again = settle(std::move(w), code)) waiting.push_back(std::move(again));
      }
      // Sleep until a socket is ready, a retry is due, or submit() wakes us.
      now = Clock::now();
      milliseconds wait{active.empty() ? 1000 : 100};
      for (const auto& w : waiting) {
        wait = std::min(wait, std::max(milliseconds(0),
                                       std::chrono::duration_cast<milliseconds>(w->not_before - now)));
      }
      if (running > 0 || wait.count() > 0 || active.empty()) {
        curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
      }
    }
    for (auto& w : active) {
      release_handle(*w);
      finish(*w, false, "LLM client shut down");
    }
    active.clear();
    for (auto& w : waiting) finish(*w, false, "LLM client shut down");
    waiting.clear();
  }
};

LlmClient::LlmClient(LlmConfig config) : m_impl(std::make_unique<Impl>()) {
  if (config.url.empty()) throw UsageError("no LLM URL given");
  if (config.models.empty()) throw UsageError("no LLM model given", "Name one with --llm-model.");
  if (config.max_in_flight < 1) config.max_in_flight = 1;
  m_impl->config = std::move(config);
  m_impl->endpoint = endpoint_url(m_impl->config.url);
  m_impl->multi = curl_multi_init();
  if (m_impl->multi == nullptr) throw Error("could not create a curl multi handle");
  curl_multi_setopt(m_impl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(m_impl->config.max_in_flight));
  m_impl->thread = std::thread([impl = m_impl.get()] { impl->loop(); });
}

LlmClient::~LlmClient() {
  {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->stopping = true;
  }
  curl_multi_wakeup(m_impl->multi);
  if (m_impl->thread.joinable()) m_impl->thread.join();
  // Requests submitted after the loop's last look at the queue.
  for (auto& w : m_impl->incoming) m_impl->finish(*w, false, "LLM client shut down");
  curl_multi_cleanup(m_impl->multi);
}

std::future<LlmResult> LlmClient::submit(llm::Request request) {
  auto w = std::make_unique<Work>();
  w->request = std::move(request);
  w->started = Clock::now();
  w->not_before = w->started;
  std::future<LlmResult> f = w->promise.get_future();
  {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    if (m_impl->stopping) {
      m_impl->finish(*w, false, "LLM client shut down");
      return f;
    }
    m_impl->incoming.push_back(std::move(w));
  }
  curl_multi_wakeup(m_impl->multi);
  return f;
}

LlmResult LlmClient::complete(llm::Request request) { return submit(std::move(request)).get(); }

const LlmConfig& LlmClient::config() const { return m_impl->config; }

}  // namespace briefos::http
