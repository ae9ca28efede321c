// SPDX-License-Identifier: MIT
// briefos::stats report models (stats/reports.hpp): open rates and what
// became of a brief's email.
#include <briefos/stats/reports.hpp>

#include <doctest/doctest.h>

namespace st = briefos::stats;

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats open rates are opened over sent, absent when nothing was sent") {
  st::EmailDay d;
  CHECK_FALSE(d.open_rate().has_value());
  d.sent = 4;
  d.opened = 1;
  CHECK(d.open_rate().value() == doctest::Approx(0.25));
  st::EmailVariant v;
  CHECK_FALSE(v.open_rate().has_value());
  v.sent = 2;
  v.opened = 2;
  CHECK(v.open_rate().value() == doctest::Approx(1.0));
}

TEST_CASE("stats::email_outcome without an email explains why") {
  st::UserInfo user;
  st::UserBrief b;
  b.status = "failed";
  CHECK(st::email_outcome(user, b) == "no email: brief generation failed");
  b.status = "processing";
  CHECK(st::email_outcome(user, b) == "no email yet: brief is processing");
  b.status = "completed";
  CHECK(st::email_outcome(user, b) == "no email: user has not opted in to email");
  user.has_preferences = true;
  user.email_daily_brief = true;
  b.is_empty = true;
  CHECK(st::email_outcome(user, b) == "no email: empty brief");
  b.is_empty = false;
  CHECK(st::email_outcome(user, b) == "no email: none was created for this brief");
}

TEST_CASE("stats::email_outcome follows the latest email") {
  st::UserInfo user;
  st::UserBrief b;
  b.status = "completed";
  st::UserEmail old;
  old.status = "failed";
  st::UserEmail m;
  m.status = "sent";
  b.emails = {old, m};
  CHECK(st::email_outcome(user, b) == "sent, not opened yet");
  b.emails.back().opened_at = st::Time{};
  b.emails.back().open_count = 1;
  CHECK(st::email_outcome(user, b) == "sent, opened");
  b.emails.back().open_count = 3;
  CHECK(st::email_outcome(user, b) == "sent, opened 3 times");
  b.emails.back().recipient_status = "bounced";
  CHECK(st::email_outcome(user, b) == "sent, then bounced");
  b.emails.back().status = "failed";
  CHECK(st::email_outcome(user, b) == "failed: bounced");
  b.emails.back().recipient_status = std::nullopt;
  CHECK(st::email_outcome(user, b) == "failed, not sent");
  b.emails.back().status = "cancelled";
  CHECK(st::email_outcome(user, b) == "cancelled, not sent");
  b.emails.back().status = "pending";
  CHECK(st::email_outcome(user, b) == "waiting to be sent");
  b.emails.back().status = "sending";
  CHECK(st::email_outcome(user, b) == "being sent");
}

TEST_SUITE_END();
