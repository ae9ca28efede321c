// SPDX-License-Identifier: MIT
#pragma once

// The ways a composed message leaves briefos (SMTP, Maildir, webhook),
// behind one interface; a failed hand-over is a SendError with the relay's
// reply and its classification (mail/reply.hpp). Every libcurl call is under mail/ and
// http/.

#include "briefos/error.hpp"
#include "briefos/mail/reply.hpp"

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

// A failed hand-over. `what()` is a complete message
// ("could not send email to "x@y" via smtp://relay: 451 4.3.0 ... (end_of_data)"),
// `reply()` what the server said and when, `kind()` what to make of it
// (mail::classify() of the reply, or set by the transport itself).
class SendError : public Error {
public:
  SendError(const std::string& message, FailureKind kind, Reply reply)
      : Error(message), m_kind(kind), m_reply(std::move(reply)) {}
  // A failure with only a status code (0: none).
  SendError(const std::string& message, FailureKind kind, long reply_code = 0)
      : Error(message), m_kind(kind) {
    m_reply.code = static_cast<int>(reply_code);
    m_reply.stage = reply_code > 0 ? Stage::response : Stage::connect;
    m_reply.text = message;
  }
  FailureKind kind() const noexcept { return m_kind; }
  long reply_code() const noexcept { return m_reply.code; }
  const Reply& reply() const noexcept { return m_reply; }

private:
  FailureKind m_kind;
  Reply m_reply;
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
  // Per phase (SMTP): the TCP connect and TLS handshake; the greeting and
  // the reply to each command; the reply to the end of DATA (RFC 5321
  // 4.5.3.2 allows the server 10 minutes there: giving up sooner turns a slow
  // delivery into a retry, so a duplicate).
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds command_timeout{60000};
  std::chrono::milliseconds timeout{600000};  // the reply to the end of DATA
  // Polled about once a second during a hand-over: true aborts it
  // (SendError with FailureKind::interrupted). Default: never.
  std::function<bool()> stop;
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
