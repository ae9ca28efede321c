// SPDX-License-Identifier: MIT
//
// The report models' own rules (see reports.hpp): open rates, and the
// phrase that says what became of a brief's email. Policy of that phrase:
// the latest email of the brief decides; without an email, the brief's
// state and the user's opt-in explain why there is none.
#include "briefos/stats/reports.hpp"

namespace briefos::stats {

namespace {

// opened / sent; nullopt when nothing was sent.
std::optional<double> open_rate_of(long long opened, long long sent) {
  if (sent == 0) return std::nullopt;
  return static_cast<double>(opened) / static_cast<double>(sent);
}

}  // namespace

std::optional<double> EmailDay::open_rate() const { return open_rate_of(opened, sent); }

std::optional<double> EmailVariant::open_rate() const { return open_rate_of(opened, sent); }

std::string email_outcome(const UserInfo& user, const UserBrief& brief) {
  if (brief.emails.empty()) {
    if (brief.status == "failed") return "no email: brief generation failed";
    if (brief.status != "completed") return "no email yet: brief is " + brief.status;
    if (!user.has_preferences || !user.email_daily_brief) return "no email: user has not opted in to email";
    if (brief.is_empty) return "no email: empty brief";
    return "no email: none was created for this brief";
  }
  const UserEmail& m = brief.emails.back();
  if (m.status == "sent") {
    if (m.recipient_status == "bounced") return "sent, then bounced";
    if (m.opened_at) {
      return "sent, opened" + (m.open_count > 1 ? " " + std::to_string(m.open_count) + " times" : std::string());
    }
    return "sent, not opened yet";
  }
  if (m.status == "cancelled") return "cancelled, not sent";
  if (m.status == "failed") return m.recipient_status == "bounced" ? "failed: bounced" : "failed, not sent";
  if (m.status == "pending") return "waiting to be sent";
  if (m.status == "sending") return "being sent";
  return m.status;
}

}  // namespace briefos::stats
