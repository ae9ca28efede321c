// SPDX-License-Identifier: MIT
//
// The pure parts of briefos-email's operator commands (see operations.hpp).
// Policy: an address is compared lower-cased, as email_suppressions stores
// it; an unsubscribe token is taken from whatever form a mail pipeline has
// at hand (the token, the local part, the whole mailto address), so the
// pipeline needs no parsing of its own.
#include "briefos/app/email/operations.hpp"

#include "briefos/error.hpp"
#include "briefos/mime.hpp"
#include "briefos/util/text.hpp"
#include "briefos/util/time.hpp"

#include <array>

namespace briefos::app::email {

namespace {

constexpr std::array<std::string_view, 4> reasons{"manual", "unsubscribed", "hard_bounce", "complaint"};

}  // namespace

bool is_suppression_reason(std::string_view reason) noexcept {
  for (const std::string_view r : reasons) {
    if (r == reason) return true;
  }
  return false;
}

std::string checked_reason(const std::string& option, const std::string& reason) {
  if (!is_suppression_reason(reason)) {
    throw UsageError("invalid value \"" + reason + "\" for option " + option
                     + ": must be one of manual, unsubscribed, hard_bounce, complaint");
  }
  return reason;
}

std::string checked_address(const std::string& text) {
  const std::string a = util::lower(util::trim(text));
  if (!mime::is_valid_address(a)) throw UsageError("\"" + text + "\" is not an email address");
  return a;
}

std::string unsubscribe_token_of(std::string_view text) {
  std::string_view t = text;
  if (t.substr(0, 7) == "mailto:") t.remove_prefix(7);
  if (const std::size_t at = t.rfind('@'); at != std::string_view::npos) t = t.substr(0, at);
  if (const std::size_t plus = t.rfind('+'); plus != std::string_view::npos) t = t.substr(plus + 1);
  if (t.empty() || t.size() > 200) {
    throw UsageError("invalid unsubscribe token \"" + std::string(text) + "\"",
                     "Give the token, or the mailto address unsubscribe+TOKEN@DOMAIN.");
  }
  for (const char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) throw UsageError("invalid unsubscribe token: it contains a space or control character");
  }
  return std::string(t);
}

db::email_admin::ListFilter since_filter(const std::string& since) {
  db::email_admin::ListFilter f;
  if (since.empty()) return f;
  if (const auto d = util::parse_duration(since)) {
    f.since_seconds_ago = d->count();
  } else if (const auto t = util::parse_instant(since)) {
    f.since = util::format_instant(*t);
  } else if (const auto day = util::parse_date(since)) {
    f.since = util::format_date(*day) + "T00:00:00Z";
  } else {
    throw UsageError("invalid value \"" + since + "\" for option --since: expected a duration (2h, 7d), "
                     "an instant (2026-03-08T07:30:00Z) or a date (2026-03-08)");
  }
  return f;
}

std::string to_string(db::email_admin::Unsubscribed outcome) {
  switch (outcome) {
    case db::email_admin::Unsubscribed::unsubscribed: return "unsubscribed";
    case db::email_admin::Unsubscribed::already: return "already unsubscribed";
    case db::email_admin::Unsubscribed::unknown_token: return "unknown token";
  }
  return "unknown token";
}

nlohmann::json to_json(const db::email_admin::Suppression& s) {
  return {{"address", s.address},
          {"reason", s.reason},
          {"detail", s.detail ? nlohmann::json(*s.detail) : nlohmann::json(nullptr)},
          {"created_at", s.created_at}};
}

std::string table_row(const db::email_admin::Suppression& s) {
  std::string row = s.address;
  row += "  " + s.reason + "  " + s.created_at;
  if (s.detail && !s.detail->empty()) {
    // A detail may quote a remote server's reply: untrusted text, so no
    // control character reaches the operator's terminal.
    std::string d = *s.detail;
    for (char& c : d) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) c = '?';
    }
    row += "  " + d;
  }
  return row;
}

}  // namespace briefos::app::email
