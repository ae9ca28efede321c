// SPDX-License-Identifier: MIT
//
// Choosing a transport, and the pieces every transport shares.
//
// A transport URL names exactly one way out. Validation happens before any
// job is claimed, so a typo is a usage error (exit 2) and never a run that
// claims jobs only to fail them all. Passwords are refused inside the URL:
// the URL may come from argv, where every user of the machine can read it;
// the password comes from BRIEFOS_SMTP_PASSWORD or --smtp-password-file.
//
// The rate limiter is a token bucket shared by all slots (libcurl has no
// message-rate limit; nodemailer's rateLimit/rateDelta and listmonk's
// message_rate are the same idea). It refills continuously, so a rate of 50/s
// spaces messages 20 ms apart rather than sending 50 at once each second.
#include "briefos/mail/transport.hpp"

#include "briefos/error.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <thread>

namespace briefos::mail {

namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The authority of "scheme://authority/..." (between // and the next / or ?).
std::string authority_of(const std::string& url) {
  const std::size_t start = url.find("://");
  if (start == std::string::npos) return {};
  const std::size_t from = start + 3;
  const std::size_t end = url.find_first_of("/?#", from);
  return url.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

}  // namespace

void validate(const TransportConfig& cfg) {
  const std::string& url = cfg.url;
  if (url.empty()) {
    throw UsageError("no mail transport configured",
                     "Set --transport or BRIEFOS_EMAIL_TRANSPORT (smtp://host:port, "
                     "smtps://host, maildir:DIR or webhook+https://URL); briefos-email never "
                     "pretends to send.");
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw UsageError("invalid transport URL: it contains a space or a control character");
    }
  }
  if (starts_with(url, "maildir:")) {
    if (url.size() == 8) throw UsageError("invalid transport \"maildir:\": no directory given");
    return;
  }
  const bool smtp = starts_with(url, "smtp://") || starts_with(url, "smtps://");
  const bool webhook = starts_with(url, "webhook+https://") || starts_with(url, "webhook+http://");
  if (!smtp && !webhook) {
    throw UsageError("unknown mail transport \"" + url.substr(0, url.find(':')) + "\"",
                     "Use smtp://, smtps://, maildir:DIR or webhook+https://.");
  }
  const std::string auth = authority_of(url);
  const std::size_t at = auth.rfind('@');
  const std::string userinfo = at == std::string::npos ? std::string() : auth.substr(0, at);
  const std::string hostport = at == std::string::npos ? auth : auth.substr(at + 1);
  if (userinfo.find(':') != std::string::npos) {
    throw UsageError("the transport URL must not contain a password",
                     "Put the user in the URL and the password in BRIEFOS_SMTP_PASSWORD or a "
                     "file named by --smtp-password-file.");
  }
  if (hostport.empty() || hostport.front() == ':') {
    throw UsageError("invalid transport URL \"" + url + "\": no host");
  }
  if (webhook) {
    if (!cfg.webhook_secret || cfg.webhook_secret->empty()) {
      throw UsageError("the webhook transport needs a signing secret",
                       "Set BRIEFOS_WEBHOOK_SECRET.");
    }
    return;
  }
  const std::size_t q = url.find('?');
  if (q != std::string::npos) {
    const std::string query = url.substr(q + 1);
    if (starts_with(url, "smtps://")) {
      throw UsageError("invalid transport URL \"" + url + "\": smtps:// takes no parameters");
    }
    if (query != "tls=required" && query != "tls=opportunistic" && query != "tls=none") {
      throw UsageError("invalid transport URL parameter \"" + query + "\"",
                       "The only parameter is tls=required, tls=opportunistic or tls=none.");
    }
  }
  if (!userinfo.empty() && (!cfg.password || cfg.password->empty())) {
    throw UsageError("the transport URL names user \"" + userinfo + "\" but no password was given",
                     "Set BRIEFOS_SMTP_PASSWORD or --smtp-password-file.");
  }
}

std::unique_ptr<Transport> make_transport(const TransportConfig& cfg) {
  validate(cfg);
  if (starts_with(cfg.url, "maildir:")) return make_maildir_transport(cfg.url.substr(8));
  if (starts_with(cfg.url, "webhook+")) return make_webhook_transport(cfg);
  return make_smtp_transport(cfg);
}

std::string hmac_sha256_hex(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

RateLimiter::RateLimiter(double per_second, double burst)
    : m_rate(per_second),
      m_burst(std::max(1.0, burst)),
      m_tokens(std::max(1.0, burst)),
      m_last(Clock::now()) {}

bool RateLimiter::acquire(const std::function<bool()>& stop) {
  if (m_rate <= 0) return true;
  while (true) {
    std::chrono::duration<double> wait{0};
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      const auto now = Clock::now();
      m_tokens = std::min(m_burst, m_tokens + std::chrono::duration<double>(now - m_last).count() * m_rate);
      m_last = now;
      if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        return true;
      }
      wait = std::chrono::duration<double>((1.0 - m_tokens) / m_rate);
    }
    if (stop && stop()) return false;
    // Pacing, not synchronisation: the next token is due in `wait`; wake at
    // least every 100 ms to notice a shutdown.
    std::this_thread::sleep_for(std::min<std::chrono::duration<double>>(
        wait, std::chrono::milliseconds(100)));
  }
}

}  // namespace briefos::mail
