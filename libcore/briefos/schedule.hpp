// SPDX-License-Identifier: MIT
#pragma once

// Schedule rules: pure functions, no database, no I/O beyond reading the
// system time-zone database. See schedule.cpp for the policy. The zone and
// date helpers they stand on (zone look-up, local dates, text forms) are
// util/time.hpp's.

#include "briefos/util/time.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace briefos::schedule {

using util::Days;     // a calendar date (no zone)
using util::Instant;  // a UTC instant, whole seconds

// The text forms of dates, instants and durations, under the names this
// module's callers (tests/fuzz) know them by; written once in util/time.
using util::format_date;
using util::format_instant;
using util::parse_date;
using util::parse_duration;
using util::parse_instant;

// One row of user_brief_preferences, as text the way the database holds it.
struct Preference {
  std::string frequency = "daily";          // daily, weekly, custom (= daily)
  std::optional<int> day_of_week;           // 0 = Sunday; weekly default 1
  std::string time_of_day = "09:00:00";     // HH:MM[:SS]
  std::string timezone = "UTC";             // IANA name
};

struct TimeOfDay {
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
};

// "HH:MM" or "HH:MM:SS" with the original's ranges (H 0-23, M 0-59,
// S 0-59); nullopt otherwise.
std::optional<TimeOfDay> parse_time_of_day(std::string_view text);

// The original validateUserPreference(): each problem with its exact
// message ("Invalid frequency. Must be daily, weekly, or custom", ...).
// Empty means valid. The time zone is checked separately (zone_exists).
std::vector<std::string> validate(const Preference& pref);

enum class Frequency { daily, weekly };

// A preference checked and resolved: what the computations below take.
// Holds a pointer into the tz database (process lifetime).
struct Rule {
  Frequency frequency = Frequency::daily;
  int day_of_week = 1;
  TimeOfDay time;
  const date::time_zone* zone = nullptr;
  std::string zone_name;
};

// Check `pref` and resolve its zone. On failure returns nullopt and puts
// the reason in `*why` (the original's message, or the bad zone's name).
std::optional<Rule> compile(const Preference& pref, std::string* why);

// The UTC instant at which local wall time `day` + `time` happens in the
// rule's zone: inside a spring-forward gap it is shifted forward by the gap
// (02:30 -> 03:30); inside a fall-back overlap it is the first occurrence.
Instant resolve_local(const Rule& rule, Days day, TimeOfDay time);

// The same for a zone by name (tests and tools); nullopt for an unknown zone.
std::optional<Instant> resolve_local(std::string_view zone, Days day, TimeOfDay time);

// The local calendar date of `t` in the rule's zone (util::local_date for
// a zone by name).
Days local_date(const Rule& rule, Instant t);

// The first run of `rule` at or after `t` (a run exactly at `t` counts).
Instant first_run_at_or_after(const Rule& rule, Instant t);

// The first run strictly after `t`.
Instant next_run_after(const Rule& rule, Instant t);

// The original calculateNextRunTime(pref, now): the next run at or after
// `now`, or nullopt for an invalid preference (including an unknown zone,
// where the original silently used UTC).
std::optional<Instant> calculate_next_run_time(const Preference& pref, Instant now);

// What one sweep does with one preference whose stored next run is
// `next_run_at`: runs inside [now - catch_up, now + lookahead] are queued,
// earlier ones are missed (counted, not queued), and the preference's next
// run becomes the first one after now + lookahead.
struct RunPlan {
  std::vector<Instant> runs;
  long long missed = 0;
  Instant next_run_at;
};
RunPlan plan_runs(const Rule& rule,
                  Instant next_run_at,
                  Instant now,
                  std::chrono::seconds lookahead,
                  std::chrono::seconds catch_up);

// The runs of one zone inside the UTC window (after, upto], as ranges of
// local wall-clock time, so that a sweep can find due users with an index
// on (timezone, time_of_day) instead of computing every user's next run.
// A preference at local time t (whole seconds after midnight, from <= t <
// to) on the nominal local date `date` runs at the instant base + t, on
// the local date `run_date` (different from `date` only when a gap moved
// the run past midnight). Gaps and overlaps follow resolve_local(): each
// window has one UTC offset, and a day has several windows only where the
// offset in effect changes. Nullopt for a zone the tz database lacks.
struct ZoneWindow {
  Days date;
  int weekday = 0;  // of `date`, 0 = Sunday (what a weekly rule compares)
  int from = 0;     // seconds after local midnight, inclusive
  int to = 0;       // exclusive, at most 86400
  std::int64_t base = 0;  // run instant of t = base + t, Unix seconds
  Days run_date;
};
std::optional<std::vector<ZoneWindow>> zone_windows(std::string_view zone, Instant after, Instant upto);

// Which invalid preferences a sweep as of `now` warns about, so that cron
// does not repeat the same warning every few minutes: the first sweep of
// each UTC day (the previous sweep, as of `previous`, ran on an earlier UTC
// day, or there was none) warns about all of them (nullopt); a later sweep
// of the same day only about those edited after `previous` (new or changed
// since the previous sweep). Every sweep still counts them all.
std::optional<Instant> invalid_warned_after(std::optional<Instant> previous, Instant now);

// Engagement backoff (reference 4.5): whether to brief a user who last
// logged in `days_since_last_login` days ago (nullopt: never recorded) and
// last got a brief `days_since_last_brief` days ago (nullopt: never).
struct Engagement {
  bool should_send = true;
  bool is_reengagement = false;
  int days_since_last_login = 0;
  std::string reason;
};
Engagement engagement(std::optional<int> days_since_last_login,
                      std::optional<int> days_since_last_brief);

}  // namespace briefos::schedule
