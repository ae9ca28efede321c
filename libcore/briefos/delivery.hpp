// SPDX-License-Identifier: MIT
#pragma once

// The one home of "may this email be sent?": pure decisions on the facts
// of one email row (its status, its user and preferences, its brief, its
// recipients, the suppression list) and on a failed hand-over. briefos-email
// asks decide() before every send and after_failure() after every refusal;
// the store's fast path filters the same rule in SQL with the values bound
// from here (see db/email_store.cpp), so the rule changes in this file.

#include "briefos/mail/transport.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace briefos::delivery {

// An email row's status, as far as delivery cares.
enum class EmailStatus { pending, sending, sent, cancelled, failed, other };

// "pending" -> EmailStatus::pending, ...; any other text is EmailStatus::other.
EmailStatus email_status(std::string_view text) noexcept;

// The statuses from which an email is handed over: pending (a first send)
// and sending (a run died after committing 'sending': a resend). The SQL
// of the fast path receives them as a bound array.
inline constexpr std::array<const char*, 2> sendable_statuses{"pending", "sending"};

// A daily-brief email has exactly this many recipients.
inline constexpr long long recipients_per_email = 1;

// What an email row says about the email, its user and its recipient.
struct Facts {
  EmailStatus status = EmailStatus::other;
  bool user_exists = false;
  bool brief_exists = false;              // the brief it was made for
  std::optional<bool> email_daily_brief;  // the user's preference, if any
  std::optional<bool> is_active;          // the user's brief delivery, if any
  std::optional<std::string> suppressed;  // the suppression reason, if any
  long long recipient_count = 0;
  std::string address;  // where it would go: the user's address as of now
};

// Why an email must not be sent (it is cancelled, not failed).
enum class Cancel { user_gone, brief_gone, opted_out, deactivated, no_address, suppressed };

// The first reason in `facts` to cancel the email, if any (checked in this
// order: user, brief, opt-out, deactivation, an empty or invalid address,
// suppression).
std::optional<Cancel> cancel_reason(const Facts& facts);

// The reason as stored on the email and its recipients ("the user opted out
// of daily brief emails"); a suppression names `suppressed_reason`.
std::string describe(Cancel reason, const std::optional<std::string>& suppressed_reason = std::nullopt);

// What to do with an email.
enum class Verdict {
  send,          // pending or sending, nothing against it: hand it over
  already_done,  // sent, cancelled or failed: nothing to do, the job is done
  wrong_status,  // any other status: never sent by briefos-email, the job fails
  cancel,        // see Decision::cancel
  bad_recipients,  // not exactly recipients_per_email recipients: the email fails
};

struct Decision {
  Verdict verdict = Verdict::send;
  std::optional<Cancel> cancel;  // set with Verdict::cancel
};

// The decision for an email with `facts`, in this order: status done,
// status not sendable, a cancel reason, the recipient count.
Decision decide(const Facts& facts);

// True if an email that was in `before` when it was marked 'sending' is a
// resend (the documented duplicate window).
bool is_resend(EmailStatus before) noexcept;

// What a refused hand-over does to the email.
enum class AfterFailure {
  hand_back,  // 'pending' again, the job back without using an attempt
  retry,      // 'pending' again with the error; the queue retries with backoff
  fail,       // 'failed', recipients 'failed', the address kept
  bounce,     // 'failed', recipients 'bounced', the address suppressed
};

// The relay unreachable, or the hand-over stopped for shutdown: hand back;
// a transient refusal is retried unless it is the job's last
// (queue::gives_up: attempts or the retry horizon); a permanent one fails;
// a rejection of the recipient bounces (mail::classify() decides which is
// which).
AfterFailure after_failure(mail::FailureKind kind, bool last_attempt) noexcept;

}  // namespace briefos::delivery
