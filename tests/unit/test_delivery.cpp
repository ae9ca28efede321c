// SPDX-License-Identifier: MIT
// delivery: may this email be sent, and what a refused hand-over does.
#include <briefos/delivery.hpp>

#include <doctest/doctest.h>

#include <string>

namespace delivery = briefos::delivery;
using delivery::Cancel;
using delivery::EmailStatus;
using delivery::Verdict;

namespace {

// An email that may be sent: pending, user present, opted in, active, brief
// present, address not suppressed, one recipient.
delivery::Facts sendable() {
  delivery::Facts f;
  f.status = EmailStatus::pending;
  f.user_exists = true;
  f.brief_exists = true;
  f.email_daily_brief = true;
  f.is_active = true;
  f.recipient_count = 1;
  f.address = "ada@example.org";
  return f;
}

}  // namespace

TEST_SUITE_BEGIN("delivery");

TEST_CASE("delivery::email_status reads the stored words") {
  CHECK(delivery::email_status("pending") == EmailStatus::pending);
  CHECK(delivery::email_status("sending") == EmailStatus::sending);
  CHECK(delivery::email_status("sent") == EmailStatus::sent);
  CHECK(delivery::email_status("cancelled") == EmailStatus::cancelled);
  CHECK(delivery::email_status("failed") == EmailStatus::failed);
  CHECK(delivery::email_status("scheduled") == EmailStatus::other);
  CHECK(delivery::email_status("") == EmailStatus::other);
  CHECK(delivery::email_status("Pending") == EmailStatus::other);
  // The SQL of the fast path receives exactly the sendable statuses.
  CHECK(std::string(delivery::sendable_statuses[0]) == "pending");
  CHECK(std::string(delivery::sendable_statuses[1]) == "sending");
  CHECK(delivery::recipients_per_email == 1);
}

TEST_CASE("delivery::decide sends a pending or sending email with nothing against it") {
  delivery::Facts f = sendable();
  CHECK(delivery::decide(f).verdict == Verdict::send);
  CHECK_FALSE(delivery::decide(f).cancel);
  f.status = EmailStatus::sending;
  CHECK(delivery::decide(f).verdict == Verdict::send);
}

TEST_CASE("delivery::decide never touches an email already sent or cancelled or failed") {
  for (const auto s : {EmailStatus::sent, EmailStatus::cancelled, EmailStatus::failed}) {
    delivery::Facts f = sendable();
    f.status = s;
    CHECK(delivery::decide(f).verdict == Verdict::already_done);
    // Even when it would be cancelled now: done is done.
    f.user_exists = false;
    CHECK(delivery::decide(f).verdict == Verdict::already_done);
  }
  delivery::Facts other = sendable();
  other.status = EmailStatus::other;
  CHECK(delivery::decide(other).verdict == Verdict::wrong_status);
}

TEST_CASE("delivery::decide cancels for each reason in order") {
  SUBCASE("user gone comes first") {
    delivery::Facts f = sendable();
    f.user_exists = false;
    f.brief_exists = false;
    f.suppressed = "unsubscribed";
    const auto d = delivery::decide(f);
    CHECK(d.verdict == Verdict::cancel);
    CHECK(d.cancel == Cancel::user_gone);
  }
  SUBCASE("brief gone") {
    delivery::Facts f = sendable();
    f.brief_exists = false;
    CHECK(delivery::decide(f).cancel == Cancel::brief_gone);
  }
  SUBCASE("opted out or no preferences") {
    delivery::Facts f = sendable();
    f.email_daily_brief = false;
    CHECK(delivery::decide(f).cancel == Cancel::opted_out);
    f.email_daily_brief = std::nullopt;
    CHECK(delivery::decide(f).cancel == Cancel::opted_out);
  }
  SUBCASE("deactivated") {
    delivery::Facts f = sendable();
    f.is_active = false;
    CHECK(delivery::decide(f).cancel == Cancel::deactivated);
    f.is_active = std::nullopt;
    CHECK(delivery::decide(f).cancel == Cancel::deactivated);
  }
  SUBCASE("suppressed") {
    delivery::Facts f = sendable();
    f.suppressed = "hard_bounce";
    CHECK(delivery::decide(f).cancel == Cancel::suppressed);
  }
  SUBCASE("a cancel reason wins over a wrong recipient count") {
    delivery::Facts f = sendable();
    f.recipient_count = 2;
    f.is_active = false;
    CHECK(delivery::decide(f).verdict == Verdict::cancel);
  }
}

TEST_CASE("delivery::decide fails an email without exactly one recipient") {
  delivery::Facts f = sendable();
  f.recipient_count = 0;
  CHECK(delivery::decide(f).verdict == Verdict::bad_recipients);
  f.recipient_count = 2;
  CHECK(delivery::decide(f).verdict == Verdict::bad_recipients);
}

TEST_CASE("delivery::describe gives the reasons stored on the email") {
  CHECK(delivery::describe(Cancel::user_gone) == "the user no longer exists");
  CHECK(delivery::describe(Cancel::brief_gone) == "the brief no longer exists");
  CHECK(delivery::describe(Cancel::opted_out) == "the user opted out of daily brief emails");
  CHECK(delivery::describe(Cancel::deactivated) == "the user's brief delivery is deactivated");
  CHECK(delivery::describe(Cancel::suppressed, std::string("unsubscribed"))
        == "the address is on the suppression list (unsubscribed)");
}

TEST_CASE("delivery::is_resend only from sending") {
  CHECK(delivery::is_resend(EmailStatus::sending));
  CHECK_FALSE(delivery::is_resend(EmailStatus::pending));
  CHECK_FALSE(delivery::is_resend(EmailStatus::sent));
}

TEST_CASE("delivery::after_failure hands back outages, retries until the last attempt, bounces only rejections") {
  using briefos::mail::FailureKind;
  using delivery::AfterFailure;
  CHECK(delivery::after_failure(FailureKind::unavailable, false) == AfterFailure::hand_back);
  CHECK(delivery::after_failure(FailureKind::unavailable, true) == AfterFailure::hand_back);
  CHECK(delivery::after_failure(FailureKind::interrupted, true) == AfterFailure::hand_back);
  CHECK(delivery::after_failure(FailureKind::transient, false) == AfterFailure::retry);
  CHECK(delivery::after_failure(FailureKind::transient, true) == AfterFailure::fail);
  CHECK(delivery::after_failure(FailureKind::permanent, false) == AfterFailure::fail);
  CHECK(delivery::after_failure(FailureKind::rejected, false) == AfterFailure::bounce);
  CHECK(delivery::after_failure(FailureKind::rejected, true) == AfterFailure::bounce);
}

TEST_CASE("delivery::decide cancels an email whose user has no valid address") {
  for (const char* bad : {"", "not an address", "a@b@c", "x\r\n@example.org"}) {
    CAPTURE(bad);
    delivery::Facts f = sendable();
    f.address = bad;
    const auto d = delivery::decide(f);
    CHECK(d.verdict == Verdict::cancel);
    REQUIRE(d.cancel);
    CHECK(*d.cancel == Cancel::no_address);
  }
  CHECK(delivery::describe(Cancel::no_address) == "the user has no valid email address");
  // An opt-out is reported before a missing address.
  delivery::Facts f = sendable();
  f.address = "";
  f.email_daily_brief = false;
  CHECK(*delivery::decide(f).cancel == Cancel::opted_out);
}

TEST_SUITE_END();
