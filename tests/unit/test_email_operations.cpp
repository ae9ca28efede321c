// SPDX-License-Identifier: MIT
// app/email/operations: the arguments of briefos-email's operator commands
// and their lines.
#include <briefos/app/email/operations.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

namespace ec = briefos::app::email;
namespace ea = briefos::db::email_admin;

TEST_CASE("email_operations::unsubscribe_token_of takes the token from every form a pipeline has") {
  const std::string tok = "0f5c2a1e-7d1b-4c3e-9a8b-1234567890ab";
  CHECK(ec::unsubscribe_token_of(tok) == tok);
  CHECK(ec::unsubscribe_token_of("unsubscribe+" + tok) == tok);
  CHECK(ec::unsubscribe_token_of("unsubscribe+" + tok + "@example.com") == tok);
  CHECK(ec::unsubscribe_token_of("mailto:unsubscribe+" + tok + "@example.com") == tok);
  CHECK(ec::unsubscribe_token_of("list+bounces+" + tok + "@example.com") == tok);
  CHECK_THROWS_AS(ec::unsubscribe_token_of(""), briefos::UsageError);
  CHECK_THROWS_AS(ec::unsubscribe_token_of("unsubscribe+@example.com"), briefos::UsageError);
  CHECK_THROWS_AS(ec::unsubscribe_token_of("a b"), briefos::UsageError);
  CHECK_THROWS_AS(ec::unsubscribe_token_of(std::string(201, 'a')), briefos::UsageError);
}

TEST_CASE("email_operations::addresses and reasons are checked") {
  CHECK(ec::checked_address("  Ada@Example.ORG ") == "ada@example.org");
  CHECK_THROWS_AS(ec::checked_address("not-an-address"), briefos::UsageError);
  for (const char* r : {"manual", "unsubscribed", "hard_bounce", "complaint"}) CHECK(ec::is_suppression_reason(r));
  CHECK_FALSE(ec::is_suppression_reason("bounced"));
  CHECK_THROWS_AS(ec::checked_reason("--reason", "soft_bounce"), briefos::UsageError);
}

TEST_CASE("email_operations::--since: a duration, an instant or a date") {
  CHECK(ec::since_filter("2h").since_seconds_ago == 7200);
  CHECK(ec::since_filter("2026-03-08T07:30:00+01:00").since == std::optional<std::string>("2026-03-08T06:30:00Z"));
  CHECK(ec::since_filter("2026-03-08").since == std::optional<std::string>("2026-03-08T00:00:00Z"));
  CHECK_FALSE(ec::since_filter("").since);
  CHECK_FALSE(ec::since_filter("").since_seconds_ago);
  CHECK_THROWS_AS(ec::since_filter("last week"), briefos::UsageError);
}

TEST_CASE("email_operations::a suppression's row and JSON, control characters in a detail never reach the terminal") {
  ea::Suppression s{"a@example.org", "hard_bounce", std::string("550 5.1.1 no\x1b[31m such\r\nuser"),
                    "2026-03-08T07:30:00Z"};
  CHECK(ec::table_row(s) == "a@example.org  hard_bounce  2026-03-08T07:30:00Z  550 5.1.1 no?[31m such??user");
  const auto j = ec::to_json(s);
  CHECK(j["address"] == "a@example.org");
  CHECK(j["detail"] == "550 5.1.1 no\x1b[31m such\r\nuser");
  s.detail.reset();
  CHECK(ec::to_json(s)["detail"].is_null());
  CHECK(ec::table_row(s) == "a@example.org  hard_bounce  2026-03-08T07:30:00Z");
  CHECK(ec::to_string(ea::Unsubscribed::already) == "already unsubscribed");
}
