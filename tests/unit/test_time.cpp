// SPDX-License-Identifier: MIT
// util/time: zone look-up, local dates, whole days, and the text forms of
// dates, instants and durations on the command lines.
#include <briefos/util/time.hpp>

#include <doctest/doctest.h>

#include <string>

namespace u = briefos::util;

namespace {

u::Instant at(const char* text) {
  const auto t = u::parse_instant(text);
  REQUIRE_MESSAGE(t.has_value(), text);
  return *t;
}

std::string local(const char* zone, const char* instant) {
  const auto d = u::local_date(zone, at(instant));
  return d ? u::format_date(*d) : "null";
}

}  // namespace

TEST_SUITE_BEGIN("time");

TEST_CASE("time: find_zone knows the tz database, caches, and never throws") {
  const auto* berlin = u::find_zone("Europe/Berlin");
  REQUIRE(berlin != nullptr);
  CHECK(u::find_zone("Europe/Berlin") == berlin);  // the same zone, from the cache
  CHECK(u::find_zone("Europe/Atlantis") == nullptr);
  CHECK(u::find_zone("Europe/Atlantis") == nullptr);  // a cached miss
  CHECK(u::find_zone("") == nullptr);
  CHECK(u::zone_exists("Pacific/Kiritimati"));
  CHECK_FALSE(u::zone_exists("Mars/Olympus_Mons"));
  CHECK_FALSE(u::zone_exists(""));
}

TEST_CASE("time: local_date of an instant in a zone") {
  CHECK(local("UTC", "2026-01-15T23:59:59Z") == "2026-01-15");
  CHECK(local("America/New_York", "2026-01-16T04:59:59Z") == "2026-01-15");
  CHECK(local("America/New_York", "2026-01-16T05:00:00Z") == "2026-01-16");
  CHECK(local("Pacific/Kiritimati", "2026-01-15T10:00:00Z") == "2026-01-16");
  CHECK(local("Asia/Kathmandu", "2026-01-15T18:14:59Z") == "2026-01-15");
  CHECK(local("Asia/Kathmandu", "2026-01-15T18:15:00Z") == "2026-01-16");
  // Pacific/Apia skipped 2011-12-30: 10:00Z on the 30th is the 31st there.
  CHECK(local("Pacific/Apia", "2011-12-30T10:00:00Z") == "2011-12-31");
  CHECK(local("Europe/Atlantis", "2026-01-15T10:00:00Z") == "null");
  const auto* ny = u::find_zone("America/New_York");
  REQUIRE(ny != nullptr);
  CHECK(u::format_date(u::local_date(*ny, at("2026-03-08T04:59:59Z"))) == "2026-03-07");
}

TEST_CASE("time: days_between rounds down") {
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-10T12:00:00Z")) == 0);
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-11T11:59:59Z")) == 0);
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-11T12:00:00Z")) == 1);
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-10T11:59:59Z")) == -1);
}

TEST_CASE("time: format_date and format_instant") {
  CHECK(u::format_date(u::Days{std::chrono::days{0}}) == "1970-01-01");
  CHECK(u::format_date(*u::parse_date("2024-02-29")) == "2024-02-29");
  CHECK(u::format_instant(u::Instant{std::chrono::seconds{0}}) == "1970-01-01T00:00:00Z");
  CHECK(u::format_instant(u::Instant{std::chrono::seconds{1772955000}}) == "2026-03-08T07:30:00Z");
  CHECK(u::format_instant(at("1994-12-31T23:59:59Z")) == "1994-12-31T23:59:59Z");
}

TEST_CASE("time: command line values") {
  CHECK(u::format_instant(at("2026-03-08 02:30:00-05:00")) == "2026-03-08T07:30:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30Z")) == "2026-03-08T07:30:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30:00+0530")) == "2026-03-08T02:00:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30:00+05:30")) == "2026-03-08T02:00:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30:00+05")) == "2026-03-08T02:30:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30:00.999Z")) == "2026-03-08T07:30:00Z");
  CHECK(u::format_instant(at("2026-03-08T07:30:00")) == "2026-03-08T07:30:00Z");
  CHECK_FALSE(u::parse_instant("2026-03-08"));
  CHECK_FALSE(u::parse_instant("yesterday"));
  CHECK_FALSE(u::parse_instant("2026-03-08T25:00:00Z"));
  CHECK_FALSE(u::parse_instant("2026-03-08T07:30:00 EST"));
  CHECK_FALSE(u::parse_instant("2026-03-08T07:30:00+24:00"));
  CHECK_FALSE(u::parse_instant("2026-03-08T07:30:00+05:3"));
  CHECK(u::parse_date("2024-02-29"));
  CHECK_FALSE(u::parse_date("2026-02-30"));
  CHECK_FALSE(u::parse_date("2026-13-01"));
  CHECK_FALSE(u::parse_date("26-01-01"));
  CHECK_FALSE(u::parse_date("2026-1-01x"));
  CHECK(u::parse_duration("90")->count() == 90);
  CHECK(u::parse_duration("90s")->count() == 90);
  CHECK(u::parse_duration("20m")->count() == 1200);
  CHECK(u::parse_duration("2h")->count() == 7200);
  CHECK(u::parse_duration("1h30m")->count() == 5400);
  CHECK(u::parse_duration("1d")->count() == 86400);
  CHECK_FALSE(u::parse_duration("1h30"));
  CHECK_FALSE(u::parse_duration("soon"));
  CHECK_FALSE(u::parse_duration(""));
  CHECK_FALSE(u::parse_duration("-5m"));
  CHECK_FALSE(u::parse_duration("1w"));
}

TEST_SUITE_END();

TEST_CASE("util: parse_ymd is parse_date as a tz-library date") {
  const auto d = briefos::util::parse_ymd("2024-02-29");
  REQUIRE(d.has_value());
  CHECK(static_cast<int>(d->year()) == 2024);
  CHECK(static_cast<unsigned>(d->month()) == 2);
  CHECK(static_cast<unsigned>(d->day()) == 29);
  CHECK_FALSE(briefos::util::parse_ymd("2025-02-29").has_value());
  CHECK_FALSE(briefos::util::parse_ymd("2025-2-28").has_value());
}
