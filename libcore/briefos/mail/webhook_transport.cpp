// SPDX-License-Identifier: MIT
//
// Webhook delivery: POST the rendered message as JSON to a web tier that
// sends it (BuildOS's way round hosts that block outbound SMTP).
//
// The receiver must be able to tell our requests from anyone else's and
// refuse replays, so every request carries X-Briefos-Timestamp (Unix seconds)
// and X-Briefos-Signature, the lower-case hex HMAC-SHA256 of
// "<timestamp>.<body>" with the shared secret (BRIEFOS_WEBHOOK_SECRET).
// Signing the timestamp together with the body means an old request cannot
// be re-sent with a fresh timestamp. A 2xx reply is acceptance; 408, 429 and
// 5xx are transient; any other 4xx is permanent (the receiver will never take
// this request) but says nothing about the recipient, so nothing is
// suppressed.
//
// The URL may carry a credential of the receiver's (a ?token=..., a user
// name): every text this transport gives out (describe(), which goes into
// each 'sent' event, and its errors, which go into error columns, events,
// logs and --json) names the URL masked by util::redact. Plain http:// to
// another host is refused before any job is claimed
// (util::require_private_channel, called by briefos-email's options).
#include "briefos/mail/transport.hpp"

#include "briefos/util/secrets.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace briefos::mail {

namespace {

extern "C" std::size_t discard_body(char* /*ptr*/, std::size_t size, std::size_t nmemb, void* /*userdata*/) {
  return size * nmemb;
}

class WebhookTransport final : public Transport {
public:
  explicit WebhookTransport(const TransportConfig& cfg)
      : m_url(cfg.url.substr(8)),  // drop "webhook+"
        m_shown(util::redact(m_url)),
        m_secret(cfg.webhook_secret.value_or("")),
        m_connect_timeout(cfg.connect_timeout),
        m_timeout(cfg.timeout) {}

  ~WebhookTransport() override {
    if (m_curl != nullptr) curl_easy_cleanup(m_curl);
  }

  void send(const Outgoing& m) override {
    if (m_curl == nullptr) {
      m_curl = curl_easy_init();
      if (m_curl == nullptr) throw SendError("could not initialise libcurl", FailureKind::transient);
    }
    const nlohmann::json body_json{{"email_id", m.email_id},     {"message_id", m.message_id},
                                   {"from", m.envelope_from},    {"recipients", m.recipients},
                                   {"subject", m.subject},       {"message", m.data}};
    const std::string body = body_json.dump();
    const std::string ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    const std::string sig = hmac_sha256_hex(m_secret, ts + "." + body);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, ("X-Briefos-Timestamp: " + ts).c_str());
    headers = curl_slist_append(headers, ("X-Briefos-Signature: " + sig).c_str());
    headers = curl_slist_append(headers, "Expect:");
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(m_curl, CURLOPT_URL, m_url.c_str());
    curl_easy_setopt(m_curl, CURLOPT_POST, 1L);
    curl_easy_setopt(m_curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(m_curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(m_curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(m_curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(m_curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(m_curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(m_connect_timeout.count()));
    curl_easy_setopt(m_curl, CURLOPT_TIMEOUT_MS, static_cast<long>(m_timeout.count()));
    const CURLcode rc = curl_easy_perform(m_curl);
    long status = 0;
    curl_easy_getinfo(m_curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(m_curl, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(m_curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_slist_free_all(headers);
    const std::string to = m.recipients.empty() ? std::string() : m.recipients.front();
    // What happened, classified by the one table (mail/reply.cpp): no
    // connection is the receiver's outage (no attempt used), a lost or
    // timed-out request after it a transient failure, and the status code
    // decides the rest.
    Reply reply;
    if (rc != CURLE_OK) {
      const bool no_connection = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
                                 || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION
                                 || (rc == CURLE_OPERATION_TIMEDOUT && status == 0 && !connected());
      reply.stage = no_connection ? Stage::connect : Stage::response;
      // libcurl's message may quote the URL too.
      reply.text = util::redact(errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc));
    } else {
      if (status >= 200 && status < 300) return;
      reply.stage = Stage::response;
      reply.code = static_cast<int>(status);
      reply.text = "HTTP " + std::to_string(status);
    }
    const FailureKind kind = classify(reply);
    const std::string msg = "could not send email to \"" + to + "\" via webhook " + m_shown + ": " + reply.text;
    throw SendError(msg, kind, std::move(reply));
  }

  std::string describe() const override { return "webhook+" + m_shown; }

private:
  // True once the last request got a TCP connection.
  bool connected() const {
    double connect_time = 0;
    curl_easy_getinfo(m_curl, CURLINFO_CONNECT_TIME, &connect_time);
    return connect_time > 0;
  }

  CURL* m_curl = nullptr;
  std::string m_url;    // as given: only for libcurl
  std::string m_shown;  // m_url with its credentials masked: for every message
  std::string m_secret;
  std::chrono::milliseconds m_connect_timeout;
  std::chrono::milliseconds m_timeout;
};

}  // namespace

std::unique_ptr<Transport> make_webhook_transport(const TransportConfig& cfg) {
  return std::make_unique<WebhookTransport>(cfg);
}

}  // namespace briefos::mail
