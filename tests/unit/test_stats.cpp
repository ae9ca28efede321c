// SPDX-License-Identifier: MIT
// briefos::stats pure parts: durations, dates, zones, bars, health policy
// and escaping in the rendered formats.
#include <briefos/error.hpp>
#include <briefos/stats.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace st = briefos::stats;

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats::parse_duration") {
  CHECK(st::parse_duration("90") == 90.0);
  CHECK(st::parse_duration("90s") == 90.0);
  CHECK(st::parse_duration("15m") == 900.0);
  CHECK(st::parse_duration("2h") == 7200.0);
  CHECK(st::parse_duration("1d") == 86400.0);
  CHECK(st::parse_duration("1h30m") == 5400.0);
  CHECK(st::parse_duration("1w") == 604800.0);
  CHECK(st::parse_duration("250ms") == doctest::Approx(0.25));
  CHECK_FALSE(st::parse_duration("").has_value());
  CHECK_FALSE(st::parse_duration("soon").has_value());
  CHECK_FALSE(st::parse_duration("15 minutes").has_value());
  CHECK_FALSE(st::parse_duration("-5m").has_value());
}

TEST_CASE("stats::format_duration") {
  CHECK(st::format_duration(std::nullopt) == "-");
  CHECK(st::format_duration(0.42) == "0.42s");
  CHECK(st::format_duration(12.34) == "12.3s");
  CHECK(st::format_duration(245) == "4m 05s");
  CHECK(st::format_duration(3600 * 3 + 7 * 60) == "3h 07m");
  CHECK(st::format_duration(86400 * 2 + 3600 * 4) == "2d 04h");
}

TEST_CASE("stats::date_range and zones") {
  const auto r = st::date_range("2024-03-01", 3);
  REQUIRE(r.size() == 3);
  CHECK(r[0] == "2024-02-28");
  CHECK(r[1] == "2024-02-29");
  CHECK(r[2] == "2024-03-01");
  CHECK_THROWS_AS(st::date_range("2025-02-30", 1), briefos::UsageError);
  CHECK_THROWS_AS(st::date_range("yesterday", 1), briefos::UsageError);
  CHECK(st::is_valid_zone("Europe/Berlin"));
  CHECK_FALSE(st::is_valid_zone("Mars/Olympus"));
  // 2025-03-30 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST (after the change).
  const st::Time before{std::chrono::seconds{1743294600}};
  const st::Time after{std::chrono::seconds{1743298200}};
  CHECK(st::format_time_iso(before, "Europe/Berlin") == "2025-03-30T01:30:00+01:00");
  CHECK(st::format_time_iso(after, "Europe/Berlin") == "2025-03-30T03:30:00+02:00");
  CHECK(st::format_time_human(after, "Europe/Berlin") == "2025-03-30 03:30:00 CEST");
  // 03:00 UTC on 03-30 is still 03-29 in New York.
  CHECK(st::local_date(st::Time{std::chrono::seconds{1743303600}}, "America/New_York") == "2025-03-29");
}

TEST_CASE("stats::bar scales to the largest value") {
  CHECK(st::bar(0, 10, 20) == "");
  CHECK(st::bar(10, 10, 4) == "████");
  CHECK(st::bar(5, 10, 4) == "██");
  CHECK(st::bar(1, 80, 1) == "▏");  // never invisible when non-zero
}

TEST_CASE("stats::evaluate_health thresholds are inclusive") {
  st::HealthInputs in;
  in.oldest_due_seconds = 900;
  in.due = 1;
  in.finished_ok = 9;
  in.finished_failed = 1;
  in.last_brief_age_seconds = 25 * 3600;
  in.active_users = 1;
  const st::HealthReport at_limit = st::evaluate_health(in, {});
  CHECK(at_limit.ok());
  in.oldest_due_seconds = 901;
  in.finished_failed = 2;
  in.last_brief_age_seconds = std::nullopt;
  in.expired_leases = 3;
  const st::HealthReport over = st::evaluate_health(in, {});
  CHECK_FALSE(over.ok());
  for (const auto& c : over.checks) CHECK_FALSE(c.ok);
  CHECK(over.checks[2].detail == "no brief was ever generated");
  // Nobody to brief: an old or missing brief is fine.
  in.active_users = 0;
  CHECK(st::evaluate_health(in, {}).checks[2].ok);
  // No finished job: rate 0.
  in.finished_ok = 0;
  in.finished_failed = 0;
  CHECK(st::evaluate_health(in, {}).checks[1].ok);
}

TEST_CASE("stats render escapes user text in html csv and prometheus") {
  st::Meta meta;
  meta.report = "queue";
  meta.zone = "UTC";
  st::QueueReport q;
  q.types.push_back({"generate_daily_brief", 1, 0, 0, 0, 1, 0, 1, 0, 1, 30.0});
  q.errors.push_back({"generate_daily_brief", "<b>\"bad\", very\nbad</b>", 1, std::nullopt});
  st::RenderOptions o;
  o.format = st::Format::html;
  const std::string html = st::render(q, meta, o);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;&quot;bad&quot;") != std::string::npos);
  o.format = st::Format::table;
  const std::string table = st::render(q, meta, o);
  CHECK(table.find("very\nbad") == std::string::npos);  // one line per error in tables
  o.format = st::Format::prometheus;
  const std::string prom = st::render(q, meta, o);
  CHECK(prom.find("bad") == std::string::npos);  // error messages are never labels
  st::UserReport u;
  u.user.id = "x";
  u.user.email = "a,b@example.com";
  st::UserBrief b;
  b.id = "b1";
  b.brief_date = "2025-03-10";
  b.status = "failed";
  b.error = "quote \" and, comma";
  u.briefs.push_back(b);
  meta.report = "user";
  o.format = st::Format::csv;
  const std::string csv = st::render(u, meta, o);
  CHECK(csv.find("\"quote \"\" and, comma\"") != std::string::npos);
}

TEST_SUITE_END();
