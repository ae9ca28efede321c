// SPDX-License-Identifier: MIT
#pragma once

// The user report's own rules: which zone its times are shown in and which
// brief dates it covers (user_window), and the diagnosis of why a user may
// get nothing (diagnose): the preference as the scheduler reads it, the
// next run, the opt-in, a suppressed address, the last email. Pure: the
// schedule rules (schedule.hpp) and the system tz database, no database.

#include "briefos/stats/reports.hpp"

#include <optional>
#include <string>
#include <vector>

namespace briefos::stats {

// What the operator asked of the user report.
struct UserWindowRequest {
  int days = 7;
  std::optional<std::string> until;  // --until (YYYY-MM-DD)
  std::optional<std::string> tz;     // --tz: show times in this zone instead of the user's
  std::string fallback_zone;         // the operator's zone, for a user without a valid zone
};

// The report's window for `user` at `now`. Times are shown in --tz when
// given, else in the user's zone when the tz database knows it, else in
// the fallback zone. Brief dates are the user's local dates whatever zone
// the times are shown in: the `days` dates ending at --until or at the
// user's local date of `now` (in the fallback zone's when the user has no
// valid zone), and the day after them (a brief generated ahead of its
// date, the lead time before local midnight, or a backfill). Throws
// DataError for an invalid --until or zone (the front end checks both).
UserWindow user_window(const UserInfo& user, Time now, const UserWindowRequest& request);

// A user's brief schedule as the scheduler sees it.
struct Diagnosis {
  std::string schedule;               // "daily at 09:00", "weekly on Monday at 07:30"; "" without preferences
  bool zone_valid = false;            // the tz database knows the preference's zone
  std::optional<std::string> problem; // why the preference cannot be scheduled (schedule::compile's reason)
  std::optional<Time> next_run;       // the next run at or after now; nullopt while none will come
  std::vector<std::string> findings;  // what keeps briefs or emails from the user, most basic first
};

// Diagnose `report` as of `now`.
Diagnosis diagnose(const UserReport& report, Time now);

}  // namespace briefos::stats
