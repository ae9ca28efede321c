// SPDX-License-Identifier: MIT
#pragma once

// The ways a composed message leaves briefos (SMTP, Maildir, webhook),
// behind one interface, and how a failed hand-over is classified
// (transient, permanent, rejected). Every libcurl call is under mail/ and
// http/.

#include "briefos/error.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace briefos::mail {

// One rendered message, ready to hand over.
struct Outgoing {
  std::string email_id;
  std::string message_id;               // without angle brackets
  std::string envelope_from;            // bare address (MAIL FROM)
  std::vector<std::string> recipients;  // bare addresses (RCPT TO)
  std::string subject;                  // for webhook JSON and logs
  std::string data;                     // the RFC 5322 message, CRLF lines
};

// How a failed hand-over should be treated.
enum class FailureKind {
  transient,  // 4xx, connection refused or lost, timeout, disk full: retry
  permanent,  // the message can never go this way (webhook 4xx): fail it
  rejected,   // the server refused the recipient or message for good (5xx):
              // fail, mark the recipient bounced and suppress the address
};

// A failed hand-over. `what()` is a complete message
// ("could not send email to "x@y": 451 ..."), `reply_code` the SMTP or
// HTTP status when there was one (0 otherwise).
class SendError : public Error {
public:
  SendError(const std::string& message, FailureKind kind, long reply_code = 0)
      : Error(message), m_kind(kind), m_reply_code(reply_code) {}
  FailureKind kind() const noexcept { return m_kind; }
  long reply_code() const noexcept { return m_reply_code; }

private:
  FailureKind m_kind;
  long m_reply_code;
};

// A way to deliver messages. One instance per worker slot; instances are
// not shared between threads (an SMTP transport keeps its connection open
// across messages).
class Transport {
public:
  virtual ~Transport() = default;
  // Deliver `m`. Returns normally only once the receiver accepted it (SMTP
  // 250 after DATA, a file renamed into new/, an HTTP 2xx). Throws
  // SendError otherwise.
  virtual void send(const Outgoing& m) = 0;
  // "smtp://mail.example.com:587", "maildir:/var/mail/briefs": for logs,
  // never with credentials.
  virtual std::string describe() const = 0;
};

// What a transport needs besides its URL.
struct TransportConfig {
  std::string url;                        // --transport
  std::optional<std::string> password;    // SMTP AUTH password (env or file)
  std::optional<std::string> webhook_secret;  // BRIEFOS_WEBHOOK_SECRET
  std::string ca_file;  // PEM CA bundle for TLS (a private CA); empty: the system's
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{600000};  // whole message incl. final reply
};

// Check `cfg` without connecting anywhere: a known scheme, a host, no
// password inside the URL, a secret for webhooks. Throws UsageError.
void validate(const TransportConfig& cfg);

// A new transport for `cfg.url` (validated first):
//   smtp://[user@]host[:port][?tls=required|opportunistic|none]
//   smtps://[user@]host[:port]
//   maildir:DIR
//   webhook+https://host/path (webhook+http:// for loopback tests)
std::unique_ptr<Transport> make_transport(const TransportConfig& cfg);

// Scheme-specific constructors (used by make_transport and tests).
std::unique_ptr<Transport> make_smtp_transport(const TransportConfig& cfg);
std::unique_ptr<Transport> make_maildir_transport(const std::string& dir);
std::unique_ptr<Transport> make_webhook_transport(const TransportConfig& cfg);

// Lower-case hex HMAC-SHA256 of `data` with `key` (webhook signatures).
std::string hmac_sha256_hex(const std::string& key, const std::string& data);

// A token bucket shared by every slot: acquire() blocks until a message may
// go. `per_second` <= 0 means unlimited. The bucket starts full; its size is
// `burst` messages.
class RateLimiter {
public:
  explicit RateLimiter(double per_second, double burst = 1.0);
  // Wait for a token; returns false without one if `stop()` returns true
  // while waiting (shutdown).
  bool acquire(const std::function<bool()>& stop);
  double rate() const noexcept { return m_rate; }

private:
  using Clock = std::chrono::steady_clock;
  std::mutex m_mutex;
  double m_rate;
  double m_burst;
  double m_tokens;
  Clock::time_point m_last;
};

}  // namespace briefos::mail
