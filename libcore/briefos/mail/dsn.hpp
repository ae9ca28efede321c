// SPDX-License-Identifier: MIT
#pragma once

// Reading what mailbox providers send back about our emails: delivery
// status notifications (RFC 3464, multipart/report; report-type=
// delivery-status) and abuse feedback reports (ARF, RFC 5965,
// multipart/report; report-type=feedback-report). Pure: bytes in, a Report
// out, no database. The MIME is parsed by GMime (the only code of briefos
// that includes it); this module decides what a report says:
//
//   - a recipient block with Action "failed" and a Status the relay table
//     (mail::classify, mail/reply) calls `rejected` (5.1.x, 5.2.1) is a hard
//     bounce; any other failed Status (5.2.2 mailbox full, 5.7.x policy,
//     4.x.x given up) is a soft bounce; "delayed", "delivered", "relayed"
//     and "expanded" are nothing to record (Kind::none);
//   - a feedback report of type "abuse" or "fraud" is a complaint; other
//     types (auth-failure, not-spam, virus, other) are nothing to record.
//
// What a report is about: the Message-ID of the original as quoted in the
// report (message/rfc822 or text/rfc822-headers), an email id in a VERP
// address (a "+" detail holding the id: bounces+<email-id>@example.com) in
// the report's To, Delivered-To, X-Original-To or Envelope-To, and the
// recipient's address. Which email that is, is the store's question.

#include <string>
#include <string_view>
#include <vector>

namespace briefos::mail::dsn {

enum class Kind {
  none,         // nothing to record: delayed, delivered, or an ignored feedback type
  hard_bounce,  // the address is gone for good: suppress
  soft_bounce,  // a failure that may pass: counted
  complaint,    // the recipient marked the email as spam: suppress, opt out
};

// "none", "hard_bounce", "soft_bounce", "complaint".
const char* to_string(Kind kind) noexcept;

// One recipient of a report.
struct Recipient {
  std::string address;     // Final-Recipient (DSN) or Original-Rcpt-To (ARF), bare, as given
  std::string original;    // Original-Recipient (DSN), bare, or ""
  std::string action;      // DSN Action ("failed", ...) or ARF Feedback-Type ("abuse", ...)
  std::string status;      // DSN Status ("5.1.1"), "" for ARF
  std::string diagnostic;  // Diagnostic-Code without its type ("550 5.1.1 ..."), capped
  Kind kind = Kind::none;
};

struct Report {
  enum class Type { delivery_status, feedback };
  Type type = Type::delivery_status;
  // What makes running twice change nothing: the report's own Message-ID,
  // or "sha256:<hex>" of the message when it has none.
  std::string key;
  // The original's Message-ID (without angle brackets) as quoted in the
  // report, "" when the report quotes no headers of it.
  std::string original_message_id;
  bool original_quoted = false;  // the report carries the original's headers
  std::vector<std::string> verp_email_ids;  // email ids in VERP addresses (lower-case UUIDs)
  std::string reporting_mta;                // Reporting-MTA or User-Agent, for the event
  std::vector<Recipient> recipients;        // never empty
};

// One message of the input: its report, or why it is none.
struct Parsed {
  bool ok = false;
  Report report;
  std::string error;  // when !ok: "not a delivery status notification or feedback report (...)"
};

// Parse one message (RFC 5322 with MIME).
Parsed parse(std::string_view message);

// Parse the input of `briefos-email bounces` from standard input: an mbox
// (it starts with "From ") gives each of its messages, anything else one.
std::vector<Parsed> parse_input(std::string_view data);

// The email id (a UUID) of a Message-ID briefos wrote (mime::message_id_for:
// "briefos.<email-id>@<domain>", with or without angle brackets), or "" for
// any other Message-ID.
std::string email_id_of_message_id(std::string_view message_id);

}  // namespace briefos::mail::dsn
