// SPDX-License-Identifier: MIT
#pragma once

// What a relay said, and what briefos makes of it: the one table that turns
// a refused hand-over (the SMTP stage it happened in, the reply code and the
// RFC 3463 enhanced status code) into a FailureKind. briefos-email(1)
// prints the same table (section FAILURE HANDLING); a unit test holds the
// two together.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace briefos::mail {

// Where in a hand-over a failure happened.
enum class Stage {
  connect,      // DNS, TCP connect, the TLS handshake of smtps://
  greeting,     // the server's 220 greeting
  hello,        // EHLO/HELO, STARTTLS, AUTH
  mail,         // MAIL FROM
  rcpt,         // RCPT TO
  data,         // DATA (before the message is sent)
  end_of_data,  // the reply to the end of the message
  response,     // an HTTP response (webhook)
  write,        // a local write (Maildir)
};

// "connect", "greeting", ... (stored in smtp_reply.stage and shown by
// --json and briefos-stats).
const char* to_string(Stage stage) noexcept;

// How a failed hand-over is treated.
enum class FailureKind {
  unavailable,  // the relay cannot be reached or will not talk (refused,
                // DNS, TLS, greeting, EHLO, AUTH, lost before MAIL): no
                // attempt is used, the batch goes back, the run may stop
  transient,    // 4xx, a timeout or a lost connection after MAIL: retry with
                // backoff until the retry horizon
  permanent,    // this message can never go this way (DATA-stage 5xx
                // content or policy, size, MAIL FROM refused, webhook
                // 4xx): the email fails, the address is not suppressed
  rejected,     // the recipient does not exist or is disabled for good
                // (RCPT-stage 5xx, 5.1.x, 5.2.1): the email fails, the
                // recipient bounces, the address is suppressed
  interrupted,  // briefos stopped the hand-over itself (SIGTERM): the email
                // goes back to pending, no attempt used
};

const char* to_string(FailureKind kind) noexcept;

// One reply, or the local reason when there was none (code 0).
struct Reply {
  Stage stage = Stage::connect;
  int code = 0;           // 421, 550, ...; an HTTP status for webhooks; 0: none
  std::string enhanced;   // "5.1.1" when the reply carries one, else ""
  std::string text;       // the reply text (all lines, joined by " / "), or
                          // the local reason ("connection refused")

  // {"stage", "code", "enhanced", "text"}: what the email, its recipient and
  // its tracking event keep.
  nlohmann::json to_json() const;
  // "550 5.1.1 <x@y>: Recipient address rejected (rcpt)".
  std::string describe() const;
  // The reply to_json() wrote (as kept in smtp_reply); unknown fields and
  // a stage it does not know are tolerated (stage connect).
  static Reply from_json(const nlohmann::json& j);
};

// The RFC 3463 code at the start of `text` ("5.1.1 User unknown" ->
// "5.1.1"), or "" when there is none or its class does not match `code`.
std::string enhanced_code(std::string_view text, int code);

// One row of the classification table.
struct Rule {
  const char* stages;    // "RCPT TO", "end of DATA", ... as the man page says
  const char* replies;   // "5xx with 5.1.x", "4xx", "none", ...
  FailureKind kind;
  const char* meaning;   // a short reason, as the man page shows it
  bool (*matches)(const Reply& reply);
};

// The table, in the order rules are tried (the first match wins).
const std::vector<Rule>& rules();

// The kind of failure `reply` is: the first rule that matches. A reply with
// code 0 is a connection that failed without one (refused, reset, timed
// out): before MAIL FROM was accepted that is the relay's problem
// (unavailable), after it the message's (transient).
FailureKind classify(const Reply& reply);

}  // namespace briefos::mail
