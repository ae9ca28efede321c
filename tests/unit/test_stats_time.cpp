// SPDX-License-Identifier: MIT
// briefos::stats time rules (stats/time.hpp): duration syntax and its human
// form, dates, the day window and instants shown in a zone.
#include <briefos/error.hpp>
#include <briefos/stats/time.hpp>

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
  CHECK_THROWS_AS(st::date_range("2025-02-30", 1), briefos::DataError);
  CHECK_THROWS_AS(st::date_range("yesterday", 1), briefos::DataError);
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

TEST_CASE("stats::is_date accepts real calendar dates only") {
  CHECK(st::is_date("2024-02-29"));
  CHECK(st::is_date("2025-12-31"));
  CHECK_FALSE(st::is_date("2025-02-29"));
  CHECK_FALSE(st::is_date("2025-13-01"));
  CHECK_FALSE(st::is_date("2025-1-01"));
  CHECK_FALSE(st::is_date("2025-10-01 OR 1=1"));
  CHECK_FALSE(st::is_date(""));
}

TEST_CASE("stats time functions reject an unknown zone as bad data") {
  const st::Time t{std::chrono::seconds{0}};
  CHECK_THROWS_AS(st::format_time_iso(t, "Mars/Olympus"), briefos::DataError);
  CHECK_THROWS_AS(st::local_date(t, "Mars/Olympus"), briefos::DataError);
  CHECK(st::format_time_iso(t, "UTC") == "1970-01-01T00:00:00+00:00");
  CHECK(st::format_duration(-90) == "-1m 30s");
  CHECK(st::date_range("2025-01-01", 1) == std::vector<std::string>{"2025-01-01"});
}

TEST_SUITE_END();
