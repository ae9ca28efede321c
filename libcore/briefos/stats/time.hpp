// SPDX-License-Identifier: MIT
#pragma once

// Time in briefos-stats: the instant type every report carries, the day
// window (calendar days in the operator's zone), durations as the operator
// writes them (--max-queue-age 15m) and as people read them ("4m 05s"), and
// instants shown in a zone for people or for machines. Pure: the system tz
// database is the only thing read.
//
// Values these functions cannot interpret (a date that does not exist, a
// zone the tz database does not know) throw DataError: the functions do not
// know where a value came from. The front end validates the operator's
// flags first and reports those as usage errors.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace briefos::stats {

using Clock = std::chrono::system_clock;
using Time = std::chrono::time_point<Clock, std::chrono::microseconds>;

// A duration like "90", "90s", "15m", "2h", "1d" or "1h30m" in seconds;
// nullopt if `text` is not one.
std::optional<double> parse_duration(const std::string& text);

// `seconds` for people: "0.42s", "12.3s", "4m 05s", "3h 07m", "2d 04h";
// "-" when absent.
std::string format_duration(std::optional<double> seconds);

// The name of the operator's zone: $TZ when it names a zone, else the
// system zone (/etc/localtime), else "UTC".
std::string default_zone();

// True if `zone` is in the system tz database.
bool is_valid_zone(const std::string& zone);

// True if `text` is a calendar date written YYYY-MM-DD (2025-02-30 is not).
bool is_date(const std::string& text);

// The calendar date ("YYYY-MM-DD") of `at` in `zone`.
std::string local_date(Time at, const std::string& zone);

// The `days` dates ending at `until` (inclusive), oldest first.
// Throws DataError if `until` is not a valid YYYY-MM-DD date.
std::vector<std::string> date_range(const std::string& until, int days);

// `at` in `zone` as "2025-03-10 09:05:00 CET" (human) or ISO 8601 with the
// offset, "2025-03-10T09:05:00+01:00" (machine).
std::string format_time_human(Time at, const std::string& zone);
std::string format_time_iso(Time at, const std::string& zone);

}  // namespace briefos::stats
