// SPDX-License-Identifier: MIT
//
// The user report's window and diagnosis (see user_report.hpp). Policy:
//
// - A user's briefs are dated in the user's zone (a brief's date is the
//   local date of its run), so the report picks its dates there, whatever
//   zone its times are shown in: an operator in Berlin asking at 13:31Z
//   about a user in Sydney sees the Sydney date that has already begun,
//   and the day after the window as well, because a brief can be made
//   ahead of its date (the job's lead time before a run at midnight, a
//   backfill).
// - The next run is the scheduler's own rule (schedule::compile and
//   first_run_at_or_after), not a copy: what this report says is what the
//   next sweep will queue. An invalid preference has no next run, and
//   neither has a paused one.
// - Findings are what keeps anything from the user, most basic first
//   (no preferences, a preference that cannot be scheduled, paused briefs,
//   no opt-in, a suppressed address, the last email's fate). They name the
//   column or table to look at and never repeat untrusted text (errors are
//   shown with the email, cut to one line, by the renderers).
#include "briefos/stats/user_report.hpp"

#include "briefos/error.hpp"
#include "briefos/schedule.hpp"
#include "briefos/stats/time.hpp"
#include "briefos/util/time.hpp"

#include <array>
#include <chrono>

namespace briefos::stats {

namespace {

// "09:00", or "09:00:30" when the seconds matter.
std::string clock_of(const UserInfo& u) {
  const std::string& t = u.schedule_time;
  if (t.size() == 8 && t.compare(5, 3, ":00") == 0) return t.substr(0, 5);
  return t.empty() ? u.time_of_day.value_or("") : t;
}

std::string schedule_of(const UserInfo& u, const std::optional<schedule::Rule>& rule) {
  static const std::array<const char*, 7> weekdays{"Sunday", "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};
  std::string what = u.frequency;
  if (u.frequency == "weekly") {
    const int dow = rule ? rule->day_of_week : u.day_of_week.value_or(1);
    if (dow >= 0 && dow < 7) what += std::string(" on ") + weekdays[static_cast<std::size_t>(dow)];
  } else if (u.frequency == "custom") {
    what += " (runs daily)";
  }
  return what + " at " + clock_of(u) + " in " + u.timezone.value_or("?");
}

std::string next_day(const std::string& date) {
  const auto d = util::parse_date(date);
  if (!d) throw DataError("invalid date \"" + date + "\": expected YYYY-MM-DD");
  return util::format_date(*d + std::chrono::days(1));
}

void email_findings(const UserReport& r, std::vector<std::string>& out) {
  if (!r.last_email) {
    if (r.user.has_preferences && r.user.email_daily_brief) out.emplace_back("no brief email was ever made for this user");
    return;
  }
  const std::string& status = r.last_email->status;
  if (status == "failed") {
    out.emplace_back(r.last_email->recipient_status == "bounced"
                         ? "the last email bounced (see its error)"
                         : "the last email failed (see its error)");
  } else if (status == "cancelled") {
    out.emplace_back("the last email was cancelled (see its reason)");
  } else if (status == "pending" || status == "sending") {
    out.emplace_back("the last email is still waiting to be sent: is briefos-email running?");
  }
}

}  // namespace

UserWindow user_window(const UserInfo& user, Time now, const UserWindowRequest& request) {
  UserWindow w;
  const bool user_zone = user.has_preferences && user.timezone && is_valid_zone(*user.timezone);
  if (request.tz) {
    w.zone = *request.tz;
    w.zone_source = "tz";
  } else if (user_zone) {
    w.zone = *user.timezone;
    w.zone_source = "user";
  } else {
    w.zone = request.fallback_zone;
    w.zone_source = "fallback";
  }
  w.date_zone = user_zone ? *user.timezone : w.zone;
  w.until = request.until.value_or(local_date(now, w.date_zone));
  w.from = date_range(w.until, request.days).front();
  w.ahead = next_day(w.until);
  w.days = request.days;
  return w;
}

Diagnosis diagnose(const UserReport& r, Time now) {
  Diagnosis d;
  const UserInfo& u = r.user;
  if (!u.has_preferences) {
    d.findings.emplace_back("no brief preferences: the user is never scheduled");
  } else {
    schedule::Preference pref;
    pref.frequency = u.frequency;
    pref.day_of_week = u.day_of_week;
    pref.time_of_day = u.schedule_time;
    pref.timezone = u.timezone.value_or("");
    d.zone_valid = is_valid_zone(pref.timezone);
    std::string why;
    const std::optional<schedule::Rule> rule = schedule::compile(pref, &why);
    d.schedule = schedule_of(u, rule);
    if (!rule) {
      d.problem = why;
      d.findings.emplace_back("the preference cannot be scheduled: every briefos-schedule sweep skips the user");
    } else if (!u.is_active) {
      d.findings.emplace_back("briefs are paused (briefs active: no): none is scheduled");
    } else {
      d.next_run = Time{schedule::first_run_at_or_after(*rule, std::chrono::ceil<std::chrono::seconds>(now))};
    }
    if (!u.email_daily_brief) {
      d.findings.emplace_back("not opted in to brief emails (email opt-in: no): briefs are stored, no email is made");
    }
  }
  if (r.suppression) {
    d.findings.emplace_back("the address is suppressed (" + r.suppression->reason
                            + "): every brief email to it is cancelled");
  }
  email_findings(r, d.findings);
  return d;
}

}  // namespace briefos::stats
