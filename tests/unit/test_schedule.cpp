// SPDX-License-Identifier: MIT
// The schedule rules: the original's test vectors (reference section 8),
// weekdays, rollovers, and DST/date-line cases against the system tz data.
#include <briefos/schedule.hpp>
#include <briefos/util/time.hpp>

#include <doctest/doctest.h>

#include <string>

namespace s = briefos::schedule;
namespace u = briefos::util;
using namespace std::chrono_literals;

namespace {

s::Instant at(const char* text) {
  const auto t = s::parse_instant(text);
  REQUIRE_MESSAGE(t.has_value(), text);
  return *t;
}

s::Days day(const char* text) {
  const auto d = s::parse_date(text);
  REQUIRE_MESSAGE(d.has_value(), text);
  return *d;
}

std::string next(const s::Preference& p, const char* now) {
  const auto t = s::calculate_next_run_time(p, at(now));
  return t ? s::format_instant(*t) : "null";
}

s::Preference pref(const char* frequency, const char* time, const char* zone,
                   std::optional<int> dow = std::nullopt) {
  s::Preference p;
  p.frequency = frequency;
  p.time_of_day = time;
  p.timezone = zone;
  p.day_of_week = dow;
  return p;
}

s::Rule rule(const s::Preference& p) {
  std::string why;
  const auto r = s::compile(p, &why);
  REQUIRE_MESSAGE(r.has_value(), why);
  return *r;
}

std::string local(const char* zone, const char* d, s::TimeOfDay t) {
  const auto r = s::resolve_local(zone, day(d), t);
  return r ? s::format_instant(*r) : "null";
}

std::string brief_date(const char* zone, s::Instant t) {
  const auto d = u::local_date(zone, t);
  return d ? s::format_date(*d) : "null";
}

}  // namespace

TEST_SUITE_BEGIN("schedule");

TEST_CASE("schedule original scheduler.test.ts vectors") {
  CHECK(next(pref("daily", "09:00:00", "UTC"), "2024-01-15T10:00:00Z") == "2024-01-16T09:00:00Z");
  CHECK(next(pref("daily", "09:00:00", "UTC"), "2024-01-15T08:00:00Z") == "2024-01-15T09:00:00Z");
  CHECK(next(pref("daily", "09:00:00", "America/New_York"), "2024-01-15T10:00:00Z")
        == "2024-01-15T14:00:00Z");
  // 2024-01-15 is a Monday; weekly Monday after 09:00 goes to next week.
  CHECK(next(pref("weekly", "09:00:00", "UTC", 1), "2024-01-15T10:00:00Z") == "2024-01-22T09:00:00Z");
  // All defaults: daily, 09:00, UTC.
  CHECK(next(s::Preference{}, "2024-01-15T08:00:00Z") == "2024-01-15T09:00:00Z");
}

TEST_CASE("schedule validation messages are the original's") {
  auto errors = s::validate(pref("invalid", "09:00:00", "UTC"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid frequency. Must be daily, weekly, or custom");
  errors = s::validate(pref("daily", "25:00:00", "UTC"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid hours in time_of_day");
  errors = s::validate(pref("daily", "09:75:00", "UTC"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid minutes in time_of_day");
  errors = s::validate(pref("daily", "09:00:61", "UTC"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid seconds in time_of_day");
  errors = s::validate(pref("daily", "invalid-time", "UTC"));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid time_of_day format. Expected HH:MM:SS");
  errors = s::validate(pref("weekly", "09:00:00", "UTC", 7));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "Invalid day_of_week. Must be between 0 (Sunday) and 6 (Saturday)");
  CHECK(s::validate(pref("custom", "14:30", "UTC", 0)).empty());
}

TEST_CASE("schedule invalid preferences give no run and never fall back to UTC") {
  CHECK(next(pref("daily", "invalid-time", "UTC"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("daily", "25:00:00", "UTC"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("daily", "09:75:00", "UTC"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("daily", "-01:00:00", "UTC"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("hourly", "09:00:00", "UTC"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("daily", "09:00:00", "Mars/Olympus_Mons"), "2024-01-15T08:00:00Z") == "null");
  CHECK(next(pref("daily", "09:00:00", ""), "2024-01-15T08:00:00Z") == "null");
  std::string why;
  CHECK_FALSE(s::compile(pref("daily", "09:00:00", "Europe/Atlantis"), &why).has_value());
  CHECK(why == "Invalid timezone \"Europe/Atlantis\": not in the tz database");
  CHECK(u::zone_exists("Europe/Berlin"));
  CHECK_FALSE(u::zone_exists("Europe/Atlantis"));
}

TEST_CASE("schedule time_of_day parsing") {
  auto t = s::parse_time_of_day("14:30:45");
  REQUIRE(t);
  CHECK(t->hours == 14);
  CHECK(t->minutes == 30);
  CHECK(t->seconds == 45);
  t = s::parse_time_of_day("14:30");
  REQUIRE(t);
  CHECK(t->seconds == 0);
  CHECK_FALSE(s::parse_time_of_day("14"));
  CHECK_FALSE(s::parse_time_of_day("24:00:00"));
  CHECK_FALSE(s::parse_time_of_day("12:00:00:00"));
  CHECK_FALSE(s::parse_time_of_day("1a:00"));
}

TEST_CASE("schedule daily boundaries keep the original strict comparison") {
  // Production used `target < now` to roll over, so a run exactly at now is
  // still today (its re-implemented test copy used <=; production wins).
  const auto p = pref("daily", "09:00:00", "UTC");
  CHECK(next(p, "2024-01-15T08:00:00Z") == "2024-01-15T09:00:00Z");
  CHECK(next(p, "2024-01-15T09:00:00Z") == "2024-01-15T09:00:00Z");
  CHECK(next(p, "2024-01-15T09:00:01Z") == "2024-01-16T09:00:00Z");
  CHECK(next(p, "2024-01-15T10:00:00Z") == "2024-01-16T09:00:00Z");
  CHECK(next(p, "2024-01-15T23:59:59Z") == "2024-01-16T09:00:00Z");
  CHECK(next(pref("daily", "00:00:00", "UTC"), "2025-10-01T10:00:00Z") == "2025-10-02T00:00:00Z");
  CHECK(next(pref("daily", "23:59:59", "UTC"), "2025-10-01T10:00:00Z") == "2025-10-01T23:59:59Z");
  // custom is daily.
  CHECK(next(pref("custom", "09:00:00", "UTC"), "2024-01-15T10:00:00Z") == "2024-01-16T09:00:00Z");
  // Sub-second parts of now do not matter: runs are whole seconds.
  CHECK(next(p, "2024-01-15T08:59:59.999Z") == "2024-01-15T09:00:00Z");
}

TEST_CASE("schedule comprehensive vectors of 2025-10") {
  CHECK(next(pref("daily", "09:00:00", "America/New_York"), "2025-10-01T05:00:00Z")
        == "2025-10-01T13:00:00Z");
  CHECK(next(pref("daily", "09:00:00", "Asia/Tokyo"), "2025-09-30T20:00:00Z") == "2025-10-01T00:00:00Z");
  // 2025-10-01 is a Wednesday: weekly Monday -> Oct 6.
  CHECK(next(pref("weekly", "09:00:00", "UTC", 1), "2025-10-01T10:00:00Z") == "2025-10-06T09:00:00Z");
  CHECK(next(pref("weekly", "09:00:00", "UTC", 1), "2025-10-06T08:00:00Z") == "2025-10-06T09:00:00Z");
  CHECK(next(pref("weekly", "09:00:00", "UTC", 1), "2025-10-06T10:00:00Z") == "2025-10-13T09:00:00Z");
  // Friday target from Monday 2024-01-15.
  CHECK(next(pref("weekly", "09:00:00", "UTC", 5), "2024-01-15T10:00:00Z") == "2024-01-19T09:00:00Z");
  // Weekly without a weekday means Monday.
  CHECK(next(pref("weekly", "09:00:00", "UTC"), "2025-10-01T10:00:00Z") == "2025-10-06T09:00:00Z");
}

TEST_CASE("schedule every weekday") {
  // From Wednesday 2025-10-01 10:00 UTC (after the 09:00 run).
  const char* expected[7] = {"2025-10-05T09:00:00Z", "2025-10-06T09:00:00Z", "2025-10-07T09:00:00Z",
                             "2025-10-08T09:00:00Z", "2025-10-02T09:00:00Z", "2025-10-03T09:00:00Z",
                             "2025-10-04T09:00:00Z"};
  for (int dow = 0; dow < 7; ++dow) {
    CAPTURE(dow);
    CHECK(next(pref("weekly", "09:00:00", "UTC", dow), "2025-10-01T10:00:00Z") == expected[dow]);
  }
  // Wednesday before 09:00 runs the same day.
  CHECK(next(pref("weekly", "09:00:00", "UTC", 3), "2025-10-01T08:00:00Z") == "2025-10-01T09:00:00Z");
  // Weekday is the user's local weekday: Sunday 09:00 in Tokyo is Sunday 00:00 UTC.
  CHECK(next(pref("weekly", "09:00:00", "Asia/Tokyo", 0), "2025-10-01T10:00:00Z")
        == "2025-10-05T00:00:00Z");
  // ... and Monday 08:00 in Los Angeles is Monday 15:00 UTC (PDT).
  CHECK(next(pref("weekly", "08:00:00", "America/Los_Angeles", 1), "2025-10-01T10:00:00Z")
        == "2025-10-06T15:00:00Z");
}

TEST_CASE("schedule month year and leap rollovers") {
  const auto p = pref("daily", "09:00:00", "UTC");
  CHECK(next(p, "2024-01-31T10:00:00Z") == "2024-02-01T09:00:00Z");
  CHECK(next(p, "2024-02-28T10:00:00Z") == "2024-02-29T09:00:00Z");
  CHECK(next(p, "2023-02-28T10:00:00Z") == "2023-03-01T09:00:00Z");
  CHECK(next(p, "2024-12-31T10:00:00Z") == "2025-01-01T09:00:00Z");
  CHECK(next(pref("weekly", "09:00:00", "UTC", 1), "2024-12-31T10:00:00Z") == "2025-01-06T09:00:00Z");
  // New York's 21:00 on Dec 31 is already Jan 1 in UTC.
  CHECK(next(pref("daily", "21:00:00", "America/New_York"), "2024-12-31T12:00:00Z")
        == "2025-01-01T02:00:00Z");
}

TEST_CASE("schedule America/New_York spring forward gap shifts by the gap once") {
  // 2026-03-08 02:00 EST -> 03:00 EDT. 02:30 does not exist: run at 03:30
  // EDT (07:30Z), then back to 02:30 EDT the next day (rrule-temporal#136).
  const auto r = rule(pref("daily", "02:30:00", "America/New_York"));
  const auto first = s::first_run_at_or_after(r, at("2026-03-08T00:00:00Z"));
  CHECK(s::format_instant(first) == "2026-03-08T07:30:00Z");
  CHECK(s::format_date(s::local_date(r, first)) == "2026-03-08");
  const auto second = s::next_run_after(r, first);
  CHECK(s::format_instant(second) == "2026-03-09T06:30:00Z");
  CHECK(s::format_instant(s::next_run_after(r, second)) == "2026-03-10T06:30:00Z");
  // The day before, still EST.
  CHECK(local("America/New_York", "2026-03-07", {2, 30, 0}) == "2026-03-07T07:30:00Z");
  // The original's own DST vector: 09:00 on 2025-03-09 is 13:00Z (EDT).
  CHECK(next(pref("daily", "09:00:00", "America/New_York"), "2025-03-09T05:00:00Z")
        == "2025-03-09T13:00:00Z");
}

TEST_CASE("schedule America/New_York fall back overlap runs once at the first occurrence") {
  // 2026-11-01 02:00 EDT -> 01:00 EST: 01:30 happens at 05:30Z and 06:30Z.
  const auto r = rule(pref("daily", "01:30:00", "America/New_York"));
  const auto first = s::first_run_at_or_after(r, at("2026-11-01T00:00:00Z"));
  CHECK(s::format_instant(first) == "2026-11-01T05:30:00Z");
  // Not again at 06:30Z: the next run is the next day's 01:30 EST.
  const auto second = s::next_run_after(r, first);
  CHECK(s::format_instant(second) == "2026-11-02T06:30:00Z");
  // A sweep between the two occurrences does not run it a second time.
  CHECK(s::format_instant(s::first_run_at_or_after(r, at("2026-11-01T06:00:00Z")))
        == "2026-11-02T06:30:00Z");
}

TEST_CASE("schedule weekly Monday 08:00 keeps local time across DST") {
  const auto r = rule(pref("weekly", "08:00:00", "America/New_York", 1));
  const auto before = s::first_run_at_or_after(r, at("2026-03-01T00:00:00Z"));
  CHECK(s::format_instant(before) == "2026-03-02T13:00:00Z");
  CHECK(s::format_instant(s::next_run_after(r, before)) == "2026-03-09T12:00:00Z");
}

TEST_CASE("schedule Europe/Berlin gap and overlap") {
  // 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
  CHECK(local("Europe/Berlin", "2026-03-29", {2, 30, 0}) == "2026-03-29T01:30:00Z");
  CHECK(local("Europe/Berlin", "2026-03-29", {3, 30, 0}) == "2026-03-29T01:30:00Z");
  CHECK(local("Europe/Berlin", "2026-03-29", {1, 59, 59}) == "2026-03-29T00:59:59Z");
  CHECK(local("Europe/Berlin", "2026-10-25", {2, 30, 0}) == "2026-10-25T00:30:00Z");
  CHECK(local("Europe/Berlin", "2026-10-25", {3, 0, 0}) == "2026-10-25T02:00:00Z");
  const auto r = rule(pref("daily", "02:30:00", "Europe/Berlin"));
  const auto first = s::first_run_at_or_after(r, at("2026-10-24T12:00:00Z"));
  CHECK(s::format_instant(first) == "2026-10-25T00:30:00Z");
  CHECK(s::format_instant(s::next_run_after(r, first)) == "2026-10-26T01:30:00Z");
}

TEST_CASE("schedule Australia/Lord_Howe half hour DST") {
  // +11 in summer, +10:30 in winter; 2026-04-05 02:00 -> 01:30 and
  // 2026-10-04 02:00 -> 02:30.
  CHECK(local("Australia/Lord_Howe", "2026-04-05", {1, 45, 0}) == "2026-04-04T14:45:00Z");
  CHECK(local("Australia/Lord_Howe", "2026-04-06", {1, 45, 0}) == "2026-04-05T15:15:00Z");
  // 02:15 in the gap runs 30 minutes later, at 02:45 (+11).
  CHECK(local("Australia/Lord_Howe", "2026-10-04", {2, 15, 0}) == "2026-10-03T15:45:00Z");
  CHECK(local("Australia/Lord_Howe", "2026-10-04", {2, 45, 0}) == "2026-10-03T15:45:00Z");
  CHECK(local("Australia/Lord_Howe", "2026-06-15", {9, 0, 0}) == "2026-06-14T22:30:00Z");
}

TEST_CASE("schedule Asia/Kathmandu quarter hour offset") {
  CHECK(next(pref("daily", "09:00:00", "Asia/Kathmandu"), "2026-01-15T00:00:00Z")
        == "2026-01-15T03:15:00Z");
  // 00:05 local on Jan 16 is 18:20Z on Jan 15: the brief is for Jan 16.
  CHECK(brief_date("Asia/Kathmandu", at("2026-01-15T18:20:00Z")) == "2026-01-16");
  CHECK(brief_date("Asia/Kathmandu", at("2026-01-15T18:14:59Z")) == "2026-01-15");
}

TEST_CASE("schedule Pacific/Apia skipped day and date line") {
  // Samoa skipped 2011-12-30: 2011-12-29 23:59:59 (-10) was followed by
  // 2011-12-31 00:00 (+14). 09:00 on the missing day shifts by the 24 h
  // gap to the same instant as 09:00 on Dec 31: one run, not two.
  const auto r = rule(pref("daily", "09:00:00", "Pacific/Apia"));
  const auto first = s::first_run_at_or_after(r, at("2011-12-29T20:00:00Z"));
  CHECK(s::format_instant(first) == "2011-12-30T19:00:00Z");
  CHECK(s::format_date(s::local_date(r, first)) == "2011-12-31");
  const auto second = s::next_run_after(r, first);
  CHECK(s::format_instant(second) == "2011-12-31T19:00:00Z");
  CHECK(s::format_date(s::local_date(r, second)) == "2012-01-01");
  // Today (+13, no DST since 2021): the brief date is a day ahead of UTC.
  const auto now = s::first_run_at_or_after(r, at("2026-01-14T12:00:00Z"));
  CHECK(s::format_instant(now) == "2026-01-14T20:00:00Z");
  CHECK(s::format_date(s::local_date(r, now)) == "2026-01-15");
}

TEST_CASE("schedule Pacific/Kiritimati plus fourteen") {
  CHECK(next(pref("daily", "09:00:00", "Pacific/Kiritimati"), "2026-01-14T12:00:00Z")
        == "2026-01-14T19:00:00Z");
  CHECK(brief_date("Pacific/Kiritimati", at("2026-01-14T19:00:00Z")) == "2026-01-15");
  // Kiritimati skipped 1994-12-31 (-10 -> +14): one run for the two dates.
  const auto r = rule(pref("daily", "09:00:00", "Pacific/Kiritimati"));
  const auto first = s::first_run_at_or_after(r, at("1994-12-30T20:00:00Z"));
  CHECK(s::format_date(s::local_date(r, first)) == "1995-01-01");
  CHECK(s::format_instant(first) == "1994-12-31T19:00:00Z");
  CHECK(s::format_instant(s::next_run_after(r, first)) == "1995-01-01T19:00:00Z");
}

TEST_CASE("schedule America/Santiago midnight transitions") {
  // 2026-09-06 00:00 (-04) -> 01:00 (-03): midnight itself does not exist.
  const auto r = rule(pref("daily", "00:00:00", "America/Santiago"));
  const auto first = s::first_run_at_or_after(r, at("2026-09-05T12:00:00Z"));
  CHECK(s::format_instant(first) == "2026-09-06T04:00:00Z");
  CHECK(s::format_date(s::local_date(r, first)) == "2026-09-06");
  CHECK(s::format_instant(s::next_run_after(r, first)) == "2026-09-07T03:00:00Z");
  CHECK(local("America/Santiago", "2026-09-06", {0, 30, 0}) == "2026-09-06T04:30:00Z");
  // 2026-04-05 00:00 (-03) -> 2026-04-04 23:00 (-04): 23:30 on Apr 4 twice.
  CHECK(local("America/Santiago", "2026-04-04", {23, 30, 0}) == "2026-04-05T02:30:00Z");
  CHECK(brief_date("America/Santiago", at("2026-04-05T02:30:00Z")) == "2026-04-04");
  const auto late = rule(pref("daily", "23:30:00", "America/Santiago"));
  const auto run = s::first_run_at_or_after(late, at("2026-04-04T12:00:00Z"));
  CHECK(s::format_instant(run) == "2026-04-05T02:30:00Z");
  CHECK(s::format_instant(s::next_run_after(late, run)) == "2026-04-06T03:30:00Z");
}

// zone_windows() against the one-run-at-a-time computation: for every
// nominal date near the window and every minute of it (plus the last second
// of the day), a window must contain t exactly when resolve_local() puts
// the run inside (after, upto], with the same instant and run date, and no
// two windows of a date may overlap.
static void check_windows(const char* zone, const char* after_text, const char* upto_text) {
  CAPTURE(zone);
  CAPTURE(after_text);
  CAPTURE(upto_text);
  const s::Instant after = at(after_text);
  const s::Instant upto = at(upto_text);
  const auto windows = s::zone_windows(zone, after, upto);
  REQUIRE(windows.has_value());
  const s::Days first = *u::local_date(zone, after) - std::chrono::days(2);
  const s::Days last = *u::local_date(zone, upto) + std::chrono::days(2);
  long long runs = 0;
  for (s::Days d = first; d <= last; d += std::chrono::days(1)) {
    for (int t = 0; t < 86400; t += (t == 86340 ? 59 : 60)) {
      const s::Instant run = *s::resolve_local(zone, d, {t / 3600, t / 60 % 60, t % 60});
      const bool inside = after < run && run <= upto;
      int found = 0;
      for (const auto& w : *windows) {
        if (w.date != d || t < w.from || t >= w.to) continue;
        ++found;
        CHECK(w.base + t == run.time_since_epoch().count());
        CHECK(w.run_date == *u::local_date(zone, run));
        CHECK(w.weekday == static_cast<int>(std::chrono::weekday{d}.c_encoding()));
      }
      CAPTURE(s::format_date(d));
      CAPTURE(t);
      CHECK(found == (inside ? 1 : 0));
      runs += inside ? 1 : 0;
    }
  }
  CHECK(runs > 0);
}

TEST_CASE("schedule zone_windows agree with resolve_local across DST and date lines") {
  check_windows("UTC", "2026-01-15T08:45:00Z", "2026-01-15T09:05:00Z");
  check_windows("UTC", "2026-01-14T23:50:00Z", "2026-01-15T00:10:00Z");
  check_windows("America/New_York", "2026-03-07T12:00:00Z", "2026-03-09T12:00:00Z");
  check_windows("America/New_York", "2026-03-08T06:45:00Z", "2026-03-08T07:45:00Z");
  check_windows("America/New_York", "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z");
  check_windows("America/New_York", "2026-11-01T05:15:00Z", "2026-11-01T06:45:00Z");
  check_windows("Europe/Berlin", "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z");
  check_windows("Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z");
  check_windows("Australia/Lord_Howe", "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z");
  check_windows("Australia/Lord_Howe", "2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z");
  check_windows("Asia/Kathmandu", "2026-01-15T03:00:00Z", "2026-01-15T03:20:00Z");
  check_windows("Pacific/Apia", "2011-12-29T00:00:00Z", "2012-01-01T00:00:00Z");
  check_windows("Pacific/Kiritimati", "2026-01-15T09:40:00Z", "2026-01-15T10:20:00Z");
  check_windows("America/Santiago", "2026-04-04T12:00:00Z", "2026-04-06T12:00:00Z");
  check_windows("America/Santiago", "2026-09-05T12:00:00Z", "2026-09-07T12:00:00Z");
  check_windows("America/Santiago", "2026-04-05T02:00:00Z", "2026-04-05T04:00:00Z");
  // A week-long window (the longest catch-up) and an empty one.
  check_windows("Europe/Berlin", "2026-03-25T00:00:00Z", "2026-04-01T00:00:00Z");
  CHECK(s::zone_windows("UTC", at("2026-01-15T09:00:00Z"), at("2026-01-15T09:00:00Z"))->empty());
  CHECK_FALSE(s::zone_windows("Mars/Olympus_Mons", at("2026-01-15T09:00:00Z"), at("2026-01-15T10:00:00Z")));
}

TEST_CASE("schedule plan_runs lookahead catch-up and missed runs") {
  const auto r = rule(pref("daily", "09:00:00", "UTC"));
  const auto now = at("2026-01-15T08:45:00Z");
  SUBCASE("due within lookahead") {
    const auto plan = s::plan_runs(r, at("2026-01-15T09:00:00Z"), now, 20min, 2h);
    REQUIRE(plan.runs.size() == 1);
    CHECK(s::format_instant(plan.runs[0]) == "2026-01-15T09:00:00Z");
    CHECK(plan.missed == 0);
    CHECK(s::format_instant(plan.next_run_at) == "2026-01-16T09:00:00Z");
  }
  SUBCASE("beyond lookahead is not yet due") {
    const auto plan = s::plan_runs(r, at("2026-01-15T09:00:00Z"), now, 10min, 2h);
    CHECK(plan.runs.empty());
    CHECK(s::format_instant(plan.next_run_at) == "2026-01-15T09:00:00Z");
  }
  SUBCASE("missed within catch-up is queued late") {
    const auto plan = s::plan_runs(r, at("2026-01-15T09:00:00Z"), at("2026-01-15T10:30:00Z"), 20min, 2h);
    REQUIRE(plan.runs.size() == 1);
    CHECK(plan.missed == 0);
  }
  SUBCASE("older than catch-up is skipped and counted") {
    const auto plan = s::plan_runs(r, at("2026-01-12T09:00:00Z"), at("2026-01-15T12:00:00Z"), 20min, 2h);
    CHECK(plan.runs.empty());
    CHECK(plan.missed == 4);
    CHECK(s::format_instant(plan.next_run_at) == "2026-01-16T09:00:00Z");
  }
  SUBCASE("a long outage jumps instead of walking every day") {
    const auto plan = s::plan_runs(r, at("2020-01-01T09:00:00Z"), at("2026-01-15T10:00:00Z"), 20min, 2h);
    REQUIRE(plan.runs.size() == 1);
    CHECK(s::format_instant(plan.runs[0]) == "2026-01-15T09:00:00Z");
    CHECK(plan.missed >= 400);
  }
}

TEST_CASE("schedule invalid preferences are warned about once per UTC day and when edited") {
  // No previous sweep, or one on an earlier UTC day: warn about all.
  CHECK_FALSE(s::invalid_warned_after(std::nullopt, at("2026-01-15T08:45:00Z")).has_value());
  CHECK_FALSE(s::invalid_warned_after(at("2026-01-15T23:55:00Z"), at("2026-01-16T00:00:00Z")).has_value());
  // A later sweep of the same day: only preferences edited since the previous sweep.
  const auto after = s::invalid_warned_after(at("2026-01-16T00:00:00Z"), at("2026-01-16T00:05:00Z"));
  REQUIRE(after.has_value());
  CHECK(*after == at("2026-01-16T00:00:00Z"));
  CHECK(s::invalid_warned_after(at("2026-01-16T08:00:00Z"), at("2026-01-16T23:59:59Z")).has_value());
}

TEST_CASE("schedule engagement backoff rule table") {
  struct Case {
    std::optional<int> login;
    std::optional<int> brief;
    bool send;
    bool reengage;
    const char* reason;
  };
  const Case cases[] = {
      {0, 1, true, false, "User is active (logged in within 2 days)"},
      {1, 1, true, false, "User is active (logged in within 2 days)"},
      {2, 1, true, false, "User is active (logged in within 2 days)"},
      {3, 1, false, false, "Cooling off period (3 days inactive)"},
      {4, 2, true, true, "4-day re-engagement email"},
      {4, 1, false, false, "Default: no email"},
      {5, 1, false, false, "First backoff period (5-9 days)"},
      {9, 1, false, false, "First backoff period (5-9 days)"},
      {10, 6, true, true, "10-day re-engagement email"},
      {10, 5, false, false, "Default: no email"},
      {15, 1, false, false, "Second backoff period (11-30 days)"},
      {30, 1, false, false, "Second backoff period (11-30 days)"},
      {31, 31, true, true, "31+ day re-engagement (31 days inactive)"},
      {60, 40, true, true, "31+ day re-engagement (60 days inactive)"},
      {35, 3, false, false, "Waiting for 31-day interval (last brief 3 days ago)"},
      {std::nullopt, 1, true, false, "No last visit recorded"},
      {5, std::nullopt, false, false, "First backoff period (5-9 days)"},
      {40, std::nullopt, true, true, "31+ day re-engagement (40 days inactive)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.reason);
    const auto e = s::engagement(c.login, c.brief);
    CHECK(e.should_send == c.send);
    CHECK(e.is_reengagement == c.reengage);
    CHECK(e.reason == c.reason);
    CHECK(e.days_since_last_login == c.login.value_or(0));
  }
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-14T11:59:59Z")) == 3);
  CHECK(u::days_between(at("2026-01-10T12:00:00Z"), at("2026-01-14T12:00:00Z")) == 4);
}

TEST_SUITE_END();
