// SPDX-License-Identifier: MIT
#pragma once

// Message composition for briefos-email, a pure function: an email row, the
// program's settings and the time in, the rendered RFC 5322 message and its
// envelope out. No database, no transport: the service composes before each
// hand-over, --dry-run and --preview compose to print, and the unit tests
// compose without either.

#include "briefos/db/email_store.hpp"
#include "briefos/mail/transport.hpp"
#include "briefos/mime.hpp"
#include "briefos/render.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace briefos::app::email {

// How messages are addressed and rendered (everything but the transport).
struct Settings {
  std::optional<mime::Mailbox> from;      // --from: overrides the email row's From
  std::optional<mime::Mailbox> reply_to;  // --reply-to
  std::string base_url = "https://localhost";
  std::vector<std::string> link_allow;    // --link-allow: hosts links may lead to besides base_url's
  std::string tracking_url;               // pixel URL prefix; default base + /api/email-tracking/
  std::string unsubscribe_url;            // "{token}" is replaced; default base + /unsubscribe/{token}
  std::string unsubscribe_mailto;         // address; default unsubscribe@<message id domain>
  std::string message_id_domain;          // default: the From address's domain
  std::string postal_address;             // --postal-address: shown in the footer
  render::TemplateSet templates = render::builtin_templates();
};

// A composed message for a row, and what went into it.
struct Composed {
  mail::Outgoing outgoing;
  render::Rendered rendered;
  std::string recipient;
};

// Render and compose the message for `row` at `now` with `renderer` (built
// from settings.templates; one per thread, it caches compiled templates).
// Throws mime::MimeError for an unsafe header or address, briefos::Error for
// a template problem.
Composed compose(const Settings& settings,
                 render::Renderer& renderer,
                 const db::email_store::EmailRow& row,
                 std::chrono::system_clock::time_point now);

// The Message-ID domain the settings impose, if any: --message-id-domain,
// else the --from address's domain; nullopt means each row's From domain.
std::optional<std::string> message_id_domain(const Settings& settings);

// The subject variant `settings` picks for `email_id` (nullopt: none).
std::optional<std::string> subject_variant(const Settings& settings, const std::string& email_id);

// The brief id and date of `row`: the brief's own, else template_data's.
std::string brief_id_of(const db::email_store::EmailRow& row);
std::string brief_date_of(const db::email_store::EmailRow& row);

// A row for --preview when the brief has no email yet: what
// briefos-generate would have created.
db::email_store::EmailRow preview_row(const db::email_store::BriefRow& brief, const Settings& settings);

// The string at `key` of JSON object `obj`, "" when absent or not a string.
std::string json_string(const nlohmann::json& obj, const char* key);

}  // namespace briefos::app::email
