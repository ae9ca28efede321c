// SPDX-License-Identifier: MIT
#pragma once

// The message on the wire: RFC 5322 headers (encoded words, addresses,
// Message-ID) and the multipart/alternative body. The policy: a header
// value that could change the message's meaning (CR, LF, NUL, a second
// address) is never written; the message is not built (MimeError).

#include "briefos/error.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::mime {

// A header value, address or name that could change the message's meaning
// (an extra header, an extra recipient): the message is never built. Bad
// data: a job that meets it fails for good.
class MimeError : public DataError {
public:
  explicit MimeError(const std::string& message) : DataError(message) {}
};

// A mailbox: `address` is a bare addr-spec (local@domain), `name` the
// display name (any UTF-8; it is encoded when needed, never quoted raw).
struct Mailbox {
  std::string address;
  std::string name;
};

// Everything a daily-brief message carries. Text and HTML are UTF-8 with
// any line endings; they are normalised to CRLF and quoted-printable.
struct Message {
  Mailbox from;
  std::optional<Mailbox> reply_to;
  Mailbox to;
  std::string subject;
  std::string message_id;  // without angle brackets: id@domain
  std::chrono::system_clock::time_point date;
  // List-Unsubscribe targets; an empty https URL omits it and the
  // one-click header (RFC 8058 needs https).
  std::string unsubscribe_https;
  std::string unsubscribe_mailto;  // "mailto:..." or empty
  std::string list_id;             // e.g. "Daily brief <daily-brief.example.com>"
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::string text;
  std::string html;
  std::string boundary_seed;  // makes the boundary stable (the email id)
};

// True if `address` is a plain ASCII addr-spec: dot-atom local part, an "@",
// and a domain of letters, digits and hyphens in dot-separated labels (or an
// address literal [..]). Quoted local parts and anything with spaces,
// angle brackets, commas, quotes or control characters are refused.
bool is_valid_address(std::string_view address);

// Throw MimeError naming `what` when `value` has CR, LF or NUL.
void check_header_text(std::string_view what, std::string_view value);

// A display name made safe to show: control characters (C0, DEL, the C1
// range and U+2028/U+2029) become spaces, runs of spaces collapse, the ends
// are trimmed. A name is cosmetic: it never fails an email, only the
// address can.
std::string clean_display_name(std::string_view name);

// "Display Name <addr>" with the name encoded per RFC 2047 when it is not a
// plain atom phrase. Throws MimeError for a bad address or CR/LF/NUL.
std::string format_mailbox(const Mailbox& m);

// An unstructured header "Name: value" folded to lines of at most 78
// octets (CRLF between lines, none at the end). Non-ASCII text becomes
// RFC 2047 "B" encoded words that never split a UTF-8 character.
std::string fold_unstructured(std::string_view name, std::string_view value);

// RFC 2047 encoded words for `text` (UTF-8), each at most 75 octets,
// separated by CRLF SP.
std::string encode_words(std::string_view text, std::size_t first_line_room);

// Quoted-printable (RFC 2045 6.7) of UTF-8 `text`: CRLF line breaks, lines
// at most 76 octets with soft breaks, "=" and non-ASCII encoded, trailing
// whitespace protected, and a leading "." or "From " encoded so no relay
// or mailbox format can alter a line.
std::string quoted_printable(std::string_view text);

// RFC 5322 date-time in UTC: "Wed, 01 Oct 2025 07:00:00 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

// The stable Message-ID for an email row: "<email id>@<domain>" (no
// brackets). Throws MimeError when `domain` is not a domain.
std::string message_id_for(std::string_view email_id, std::string_view domain);

// The domain part of an address ("" when none).
std::string domain_of(std::string_view address);

// Whether `domain` is a placeholder no real mail should come from: localhost
// (or a name under it), a name under .invalid, or example / example.* / a
// name with an "example" label (RFC 2606, RFC 6761). Receivers score such a
// sender as spam and its bounces and List-Unsubscribe mailto go nowhere, so
// briefos-email refuses to send from one over SMTP or a webhook.
bool is_placeholder_domain(std::string_view domain);

// The complete RFC 5322 message, CRLF line endings, multipart/alternative
// with text/plain first and text/html last. Throws MimeError when a header
// would be unsafe.
std::string build(const Message& m);

}  // namespace briefos::mime
