// SPDX-License-Identifier: MIT
// briefos::stats user report rules (stats/user_report.hpp): the zone and
// the user's local dates it covers, and the diagnosis (schedule, next run,
// findings).
#include <briefos/stats/render.hpp>
#include <briefos/stats/user_report.hpp>
#include <briefos/util/time.hpp>

#include <doctest/doctest.h>

namespace st = briefos::stats;

namespace {

st::Time at(const char* text) {
  const auto t = briefos::util::parse_instant(text);
  REQUIRE_MESSAGE(t.has_value(), text);
  return st::Time{*t};
}

st::UserInfo user_in(const std::string& zone, const std::string& time = "09:00:00") {
  st::UserInfo u;
  u.id = "u1";
  u.email = "a@example.com";
  u.has_preferences = true;
  u.timezone = zone;
  u.time_of_day = time.substr(0, 5);
  u.schedule_time = time;
  u.frequency = "daily";
  u.is_active = true;
  u.email_daily_brief = true;
  return u;
}

st::UserWindowRequest request(int days = 3) {
  st::UserWindowRequest r;
  r.days = days;
  r.fallback_zone = "Europe/Berlin";
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats::user_window dates a Sydney user's briefs in Sydney at 13:31Z") {
  // 13:31Z on 2025-03-10 is 00:31 on 2025-03-11 in Sydney (AEDT, +11) and
  // 14:31 on 2025-03-10 in Berlin: the brief of the 11th is the user's today.
  const st::UserInfo sydney = user_in("Australia/Sydney");
  const st::UserWindow w = st::user_window(sydney, at("2025-03-10T13:31:00Z"), request());
  CHECK(w.zone == "Australia/Sydney");
  CHECK(w.zone_source == "user");
  CHECK(w.until == "2025-03-11");
  CHECK(w.from == "2025-03-09");
  CHECK(w.ahead == "2025-03-12");
  SUBCASE("--tz shows times in the operator's zone, dates stay the user's") {
    st::UserWindowRequest r = request();
    r.tz = "Europe/Berlin";
    const st::UserWindow t = st::user_window(sydney, at("2025-03-10T13:31:00Z"), r);
    CHECK(t.zone == "Europe/Berlin");
    CHECK(t.zone_source == "tz");
    CHECK(t.date_zone == "Australia/Sydney");
    CHECK(t.until == "2025-03-11");
  }
  SUBCASE("--until is taken as given, with the day after it") {
    st::UserWindowRequest r = request(1);
    r.until = "2025-02-28";
    const st::UserWindow t = st::user_window(sydney, at("2025-03-10T13:31:00Z"), r);
    CHECK(t.from == "2025-02-28");
    CHECK(t.ahead == "2025-03-01");
  }
  SUBCASE("a user without a valid zone falls back to the operator's") {
    const st::UserWindow t = st::user_window(user_in("Mars/Olympus_Mons"), at("2025-03-10T13:31:00Z"), request());
    CHECK(t.zone == "Europe/Berlin");
    CHECK(t.zone_source == "fallback");
    CHECK(t.until == "2025-03-10");
  }
}

TEST_CASE("stats::diagnose gives the next run from the scheduler's rule") {
  st::UserReport r;
  r.user = user_in("Australia/Sydney");
  const st::Diagnosis d = st::diagnose(r, at("2025-03-10T13:31:00Z"));
  CHECK(d.schedule == "daily at 09:00 in Australia/Sydney");
  CHECK(d.zone_valid);
  CHECK_FALSE(d.problem.has_value());
  REQUIRE(d.next_run.has_value());
  CHECK(*d.next_run == at("2025-03-10T22:00:00Z"));  // 09:00 AEDT on the 11th
  // Opted in, never emailed: that is worth saying.
  REQUIRE(d.findings.size() == 1);
  CHECK(d.findings[0] == "no brief email was ever made for this user");
  SUBCASE("weekly on a weekday, with seconds") {
    r.user = user_in("Europe/London", "07:30:15");
    r.user.frequency = "weekly";
    r.user.day_of_week = 3;
    const st::Diagnosis w = st::diagnose(r, at("2026-03-09T12:00:00Z"));  // a Monday
    CHECK(w.schedule == "weekly on Wednesday at 07:30:15 in Europe/London");
    CHECK(w.next_run == at("2026-03-11T07:30:15Z"));
  }
}

TEST_CASE("stats::diagnose findings: zone, pause, opt-in, suppression, last email") {
  st::UserReport r;
  SUBCASE("no preferences") {
    r.user.has_preferences = false;
    const st::Diagnosis d = st::diagnose(r, at("2025-03-10T13:31:00Z"));
    CHECK_FALSE(d.next_run.has_value());
    REQUIRE(d.findings.size() == 1);
    CHECK(d.findings[0] == "no brief preferences: the user is never scheduled");
  }
  SUBCASE("an invalid zone: no next run, the scheduler's reason") {
    r.user = user_in("Mars/Olympus_Mons");
    const st::Diagnosis d = st::diagnose(r, at("2025-03-10T13:31:00Z"));
    CHECK_FALSE(d.zone_valid);
    CHECK_FALSE(d.next_run.has_value());
    CHECK(d.problem == std::optional<std::string>("Invalid timezone \"Mars/Olympus_Mons\": not in the tz database"));
    CHECK(d.findings.at(0) == "the preference cannot be scheduled: every briefos-schedule sweep skips the user");
  }
  SUBCASE("paused, not opted in, suppressed, last email bounced") {
    r.user = user_in("UTC");
    r.user.is_active = false;
    r.user.email_daily_brief = false;
    r.suppression = st::Suppression{"hard_bounce", std::string("550 no such user"), at("2025-03-10T10:00:00Z")};
    st::UserEmail m;
    m.id = "e1";
    m.status = "failed";
    m.recipient_status = "bounced";
    r.last_email = m;
    const st::Diagnosis d = st::diagnose(r, at("2025-03-10T13:31:00Z"));
    CHECK_FALSE(d.next_run.has_value());
    REQUIRE(d.findings.size() == 4);
    CHECK(d.findings[0] == "briefs are paused (briefs active: no): none is scheduled");
    CHECK(d.findings[1] == "not opted in to brief emails (email opt-in: no): briefs are stored, no email is made");
    CHECK(d.findings[2] == "the address is suppressed (hard_bounce): every brief email to it is cancelled");
    CHECK(d.findings[3] == "the last email bounced (see its error)");
  }
  SUBCASE("nothing wrong") {
    r.user = user_in("UTC");
    st::UserEmail m;
    m.id = "e1";
    m.status = "sent";
    r.last_email = m;
    CHECK(st::diagnose(r, at("2025-03-10T13:31:00Z")).findings.empty());
  }
}

TEST_CASE("stats user report renders the diagnosis in a table and in json") {
  st::UserReport r;
  r.user = user_in("Australia/Sydney");
  r.suppression = st::Suppression{"unsubscribed", std::nullopt, at("2025-03-01T00:00:00Z")};
  st::Meta meta;
  meta.report = "user";
  meta.zone = "Australia/Sydney";
  meta.zone_source = "user";
  meta.days = 3;
  meta.from = "2025-03-09";
  meta.until = "2025-03-11";
  meta.ahead = "2025-03-12";
  meta.generated_at = at("2025-03-10T13:31:00Z");
  const std::string table = st::render(r, meta, st::RenderOptions{});
  CHECK(table.find("user: 2025-03-09 to 2025-03-11 (3 days, and 2025-03-12 ahead), Australia/Sydney (the user's zone),")
        == 0);
  CHECK(table.find("  schedule:    daily at 09:00 in Australia/Sydney (a valid zone)\n") != std::string::npos);
  CHECK(table.find("  next run:    2025-03-11 09:00:00 AEDT (2025-03-10 22:00:00 UTC)\n") != std::string::npos);
  CHECK(table.find("  suppressed:  yes, unsubscribed since 2025-03-01 11:00:00 AEDT\n") != std::string::npos);
  CHECK(table.find("  last email:  none\n") != std::string::npos);
  CHECK(table.find("    - the address is suppressed (unsubscribed)") != std::string::npos);
  st::RenderOptions json;
  json.format = st::Format::json;
  const std::string j = st::render(r, meta, json);
  CHECK(j.find("\"zone_source\": \"user\"") != std::string::npos);
  CHECK(j.find("\"ahead\": \"2025-03-12\"") != std::string::npos);
  CHECK(j.find("\"next_run_user\": \"2025-03-11T09:00:00+11:00\"") != std::string::npos);
  CHECK(j.find("\"next_run_utc\": \"2025-03-10T22:00:00+00:00\"") != std::string::npos);
  CHECK(j.find("\"suppression_reason\": \"unsubscribed\"") != std::string::npos);
  CHECK(j.find("\"finding\": \"no brief email was ever made for this user\"") != std::string::npos);
}

TEST_SUITE_END();
