// SPDX-License-Identifier: MIT
#pragma once

// Zone and date helpers every layer shares, written once: finding a zone
// of the system tz database (cached, misses included), the local calendar
// date of an instant, whole days between instants, and the text forms of
// dates, instants and durations that the command lines and job metadata
// use. Pure: no clock, no database. The policy of a wall time that a DST
// change skips or repeats belongs to the caller (schedule::resolve_local).

#include <date/date.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace briefos::util {

using Instant = std::chrono::sys_seconds;  // a UTC instant, whole seconds
using Days = std::chrono::sys_days;        // a calendar date (no zone)

// The zone `name` of the system tz database, or nullptr for a name it
// lacks (or ""). Looked up once per name and process (thread-safe); the
// pointer lives as long as the process.
const date::time_zone* find_zone(std::string_view name);

// True if `name` is a zone of the system tz database.
bool zone_exists(std::string_view name);

// The local calendar date of `t` in `zone`; nullopt for an unknown zone.
Days local_date(const date::time_zone& zone, Instant t);
std::optional<Days> local_date(std::string_view zone, Instant t);

// Whole days from `then` to `now`, rounded down (floor((now - then) / 1 d)).
int days_between(Instant then, Instant now);

// YYYY-MM-DD.
std::string format_date(Days d);
// 2026-03-08T07:30:00Z.
std::string format_instant(Instant t);
// YYYY-MM-DD, a real date; nullopt otherwise.
std::optional<Days> parse_date(std::string_view text);

// The same as the tz library's calendar date, for code that computes with
// it (brief, stats); nullopt when `text` is not a YYYY-MM-DD calendar day.
std::optional<date::year_month_day> parse_ymd(std::string_view text);
// 2026-03-08T07:30:00Z, "2026-03-08 02:30:00-05:00", 2026-03-08T07:30Z,
// +0530 offsets, fractions dropped; no offset means UTC.
std::optional<Instant> parse_instant(std::string_view text);
// "90s", "15m", "2h", "1d", "1h30m" or plain seconds ("90").
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace briefos::util
