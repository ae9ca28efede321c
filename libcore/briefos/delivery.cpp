// SPDX-License-Identifier: MIT
//
// Delivery decisions (see delivery.hpp). The policy: an email goes out only
// from 'pending' or 'sending', only while its user exists, opted in and is
// active, its brief still exists, the user's current address (read from
// users at send time: a changed address gets the email, never the old one)
// is valid and not suppressed, and only to exactly one recipient. An email
// already sent, cancelled or failed is never touched again, so a retried or duplicated job is a no-op. A
// transient refusal is retried until the job gives up; an unreachable relay
// uses no attempt; only a rejection of the recipient bounces and suppresses
// the address (mail/reply.cpp classifies).
#include "briefos/delivery.hpp"

#include "briefos/mime.hpp"

namespace briefos::delivery {

EmailStatus email_status(std::string_view text) noexcept {
  if (text == "pending") return EmailStatus::pending;
  if (text == "sending") return EmailStatus::sending;
  if (text == "sent") return EmailStatus::sent;
  if (text == "cancelled") return EmailStatus::cancelled;
  if (text == "failed") return EmailStatus::failed;
  return EmailStatus::other;
}

std::optional<Cancel> cancel_reason(const Facts& facts) {
  if (!facts.user_exists) return Cancel::user_gone;
  if (!facts.brief_exists) return Cancel::brief_gone;
  if (!facts.email_daily_brief.value_or(false)) return Cancel::opted_out;
  if (!facts.is_active.value_or(false)) return Cancel::deactivated;
  if (!mime::is_valid_address(facts.address)) return Cancel::no_address;
  if (facts.suppressed) return Cancel::suppressed;
  return std::nullopt;
}

std::string describe(Cancel reason, const std::optional<std::string>& suppressed_reason) {
  switch (reason) {
    case Cancel::user_gone: return "the user no longer exists";
    case Cancel::brief_gone: return "the brief no longer exists";
    case Cancel::opted_out: return "the user opted out of daily brief emails";
    case Cancel::deactivated: return "the user's brief delivery is deactivated";
    case Cancel::no_address: return "the user has no valid email address";
    case Cancel::suppressed:
      return "the address is on the suppression list (" + suppressed_reason.value_or("") + ")";
  }
  return "cancelled";
}

Decision decide(const Facts& facts) {
  switch (facts.status) {
    case EmailStatus::sent:
    case EmailStatus::cancelled:
    case EmailStatus::failed: return {Verdict::already_done, std::nullopt};
    case EmailStatus::other: return {Verdict::wrong_status, std::nullopt};
    case EmailStatus::pending:
    case EmailStatus::sending: break;
  }
  if (const auto reason = cancel_reason(facts)) return {Verdict::cancel, reason};
  if (facts.recipient_count != recipients_per_email) return {Verdict::bad_recipients, std::nullopt};
  return {Verdict::send, std::nullopt};
}

bool is_resend(EmailStatus before) noexcept { return before == EmailStatus::sending; }

AfterFailure after_failure(mail::FailureKind kind, bool last_attempt) noexcept {
  switch (kind) {
    case mail::FailureKind::unavailable:
    case mail::FailureKind::interrupted: return AfterFailure::hand_back;
    case mail::FailureKind::transient: return last_attempt ? AfterFailure::fail : AfterFailure::retry;
    case mail::FailureKind::permanent: return AfterFailure::fail;
    case mail::FailureKind::rejected: return AfterFailure::bounce;
  }
  return AfterFailure::fail;
}

}  // namespace briefos::delivery
