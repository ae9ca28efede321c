// SPDX-License-Identifier: MIT
//
// When a user's brief runs. A preference names a wall-clock time in an IANA
// zone, daily or weekly; a run is the UTC instant at which that wall time
// happens on a local calendar date, and the brief's date is the local date
// of the run. Wall times that do not map to exactly one instant follow
// Python's zoneinfo with fold=0 (RFC 5545 and Temporal's "compatible"): a
// time inside a spring-forward gap is shifted forward by the length of the
// gap (02:30 becomes 03:30 on that day only), and a time inside a fall-back
// overlap runs once, at its first occurrence. PostgreSQL's own
// `timestamp AT TIME ZONE` takes the *second* occurrence in an overlap, so
// the conversion is done here with Howard Hinnant's date/tz over the system
// tz database, never with a fixed offset and never with a UTC fallback: a
// zone the database does not know makes the preference invalid.
//
// The next run is searched date by date from the day before the reference
// instant, because a shifted run can land on the next local date (a day
// that does not exist, as in Pacific/Apia on 2011-12-30, makes two nominal
// dates resolve to the same instant: that is one run, not two).
//
// Everything here is pure: no database, no clock. The original's quirks
// kept on purpose: a run exactly at `now` is still "next" (its strict `<`),
// custom means daily, weekly without a weekday means Monday.
#include "briefos/schedule.hpp"

#include <date/tz.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace briefos::schedule {

namespace {

using std::chrono::days;
using std::chrono::seconds;

const date::time_zone* tz_of(const Rule& rule) { return rule.zone; }

using util::find_zone;

Instant resolve(const date::time_zone* tz, Days day, TimeOfDay time) {
  const seconds local = seconds(day.time_since_epoch()) + std::chrono::hours(time.hours)
                        + std::chrono::minutes(time.minutes) + seconds(time.seconds);
  const date::local_seconds ls{local};
  const date::local_info info = tz->get_info(ls);
  // unique: the one offset. ambiguous: `first` is the offset before the
  // transition, which gives the earlier instant. nonexistent: `first` is
  // the offset before the gap, which moves the time forward by the gap.
  return Instant{local - info.first.offset};
}

Days date_of(const date::time_zone* tz, Instant t) { return util::local_date(*tz, t); }

bool run_day(const Rule& rule, Days d) {
  if (rule.frequency == Frequency::daily) return true;
  return static_cast<int>(std::chrono::weekday{d}.c_encoding()) == rule.day_of_week;
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 2) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

std::optional<TimeOfDay> parse_time_of_day(std::string_view text) {
  const auto parts = split(text, ':');
  if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
  TimeOfDay t;
  if (!parse_int(parts[0], t.hours) || !parse_int(parts[1], t.minutes)) return std::nullopt;
  if (parts.size() == 3 && !parse_int(parts[2], t.seconds)) return std::nullopt;
  if (t.hours > 23 || t.minutes > 59 || t.seconds > 59) return std::nullopt;
  return t;
}

std::vector<std::string> validate(const Preference& pref) {
  std::vector<std::string> errors;
  if (pref.frequency != "daily" && pref.frequency != "weekly" && pref.frequency != "custom") {
    errors.emplace_back("Invalid frequency. Must be daily, weekly, or custom");
  }
  const auto parts = split(pref.time_of_day, ':');
  int h = 0;
  int m = 0;
  int s = 0;
  const bool shaped = parts.size() >= 2 && parts.size() <= 3 && parse_int(parts[0], h)
                      && parse_int(parts[1], m)
                      && (parts.size() == 2 || parse_int(parts[2], s));
  if (!shaped) {
    errors.emplace_back("Invalid time_of_day format. Expected HH:MM:SS");
  } else {
    if (h > 23) errors.emplace_back("Invalid hours in time_of_day");
    if (m > 59) errors.emplace_back("Invalid minutes in time_of_day");
    if (s > 59) errors.emplace_back("Invalid seconds in time_of_day");
  }
  if (pref.day_of_week && (*pref.day_of_week < 0 || *pref.day_of_week > 6)) {
    errors.emplace_back("Invalid day_of_week. Must be between 0 (Sunday) and 6 (Saturday)");
  }
  return errors;
}

std::optional<Rule> compile(const Preference& pref, std::string* why) {
  const auto errors = validate(pref);
  if (!errors.empty()) {
    if (why != nullptr) {
      *why = errors.front();
      for (std::size_t i = 1; i < errors.size(); ++i) *why += "; " + errors[i];
    }
    return std::nullopt;
  }
  const date::time_zone* tz = find_zone(pref.timezone);
  if (tz == nullptr) {
    if (why != nullptr) *why = "Invalid timezone \"" + pref.timezone + "\": not in the tz database";
    return std::nullopt;
  }
  Rule rule;
  rule.frequency = pref.frequency == "weekly" ? Frequency::weekly : Frequency::daily;
  rule.day_of_week = pref.day_of_week.value_or(1);
  rule.time = *parse_time_of_day(pref.time_of_day);
  rule.zone = tz;
  rule.zone_name = pref.timezone;
  return rule;
}

Instant resolve_local(const Rule& rule, Days day, TimeOfDay time) {
  return resolve(tz_of(rule), day, time);
}

std::optional<Instant> resolve_local(std::string_view zone, Days day, TimeOfDay time) {
  const date::time_zone* tz = find_zone(zone);
  if (tz == nullptr) return std::nullopt;
  return resolve(tz, day, time);
}

Days local_date(const Rule& rule, Instant t) { return date_of(tz_of(rule), t); }

Instant first_run_at_or_after(const Rule& rule, Instant t) {
  const date::time_zone* tz = tz_of(rule);
  // Start a day early: the run of the previous local date may have been
  // shifted past midnight by a gap. Runs never decrease from one date to the
  // next, so the first one at or after `t` is the answer. A weekly rule
  // needs at most 8 dates (plus skipped dates); 64 is a generous bound.
  Days d = date_of(tz, t) - days(1);
  for (int i = 0; i < 64; ++i, d += days(1)) {
    if (!run_day(rule, d)) continue;
    const Instant run = resolve(tz, d, rule.time);
    if (run >= t) return run;
  }
  throw std::logic_error("no run found within 64 days for zone " + rule.zone_name);
}

Instant next_run_after(const Rule& rule, Instant t) {
  return first_run_at_or_after(rule, t + seconds(1));
}

std::optional<Instant> calculate_next_run_time(const Preference& pref, Instant now) {
  const auto rule = compile(pref, nullptr);
  if (!rule) return std::nullopt;
  return first_run_at_or_after(*rule, now);
}

RunPlan plan_runs(const Rule& rule,
                  Instant next_run_at,
                  Instant now,
                  seconds lookahead,
                  seconds catch_up) {
  RunPlan plan;
  const Instant horizon = now + lookahead;
  const Instant oldest = now - catch_up;
  Instant run = next_run_at;
  while (run <= horizon) {
    if (run < oldest) {
      ++plan.missed;
      // After a long outage, jump instead of walking every missed day; the
      // count then says "at least".
      run = plan.missed >= 400 ? first_run_at_or_after(rule, oldest) : next_run_after(rule, run);
      continue;
    }
    plan.runs.push_back(run);
    run = next_run_after(rule, run);
  }
  plan.next_run_at = run;
  return plan;
}

std::optional<std::vector<ZoneWindow>> zone_windows(std::string_view zone, Instant after, Instant upto) {
  const date::time_zone* tz = find_zone(zone);
  if (tz == nullptr) return std::nullopt;
  std::vector<ZoneWindow> out;
  if (upto <= after) return out;
  const std::int64_t after_s = after.time_since_epoch().count();
  const std::int64_t upto_s = upto.time_since_epoch().count();
  constexpr std::int64_t day_s = 86400;
  // One nominal date either side: a gap can move a run past midnight, and
  // an overlap at midnight can put a date's first runs before the previous
  // date's last ones.
  const Days last = date_of(tz, upto) + days(1);
  for (Days d = date_of(tz, after) - days(1); d <= last; d += days(1)) {
    const std::int64_t midnight = seconds(d.time_since_epoch()).count();  // local, as if UTC
    const int weekday = static_cast<int>(std::chrono::weekday{d}.c_encoding());
    std::int64_t t = 0;
    while (t < day_s) {
      // resolve() uses the offset of `first` for local time t; that offset
      // holds until `first` ends, up to the end of the gap or of the overlap
      // that follows: the end plus the larger of the two offsets.
      const date::sys_info cur = tz->get_info(date::local_seconds{seconds(midnight + t)}).first;
      const std::int64_t off = cur.offset.count();
      const std::int64_t end_s = cur.end.time_since_epoch().count();
      std::int64_t next = day_s;
      if (end_s < midnight - off + 2 * day_s) {
        const std::int64_t after_off = tz->get_info(cur.end).offset.count();
        next = std::min(next, end_s + std::max(off, after_off) - midnight);
      }
      const std::int64_t base = midnight - off;
      std::int64_t lo = std::max(t, after_s - base + 1);
      const std::int64_t hi = std::min(next, upto_s - base + 1);
      // Split where the run's local date changes (a run moved past midnight).
      while (lo < hi) {
        const Days run_date = date_of(tz, Instant{seconds(base + lo)});
        std::int64_t split = hi;
        if (date_of(tz, Instant{seconds(base + hi - 1)}) != run_date) {
          std::int64_t a = lo;      // date_of(base + a) == run_date
          std::int64_t b = hi - 1;  // date_of(base + b) != run_date
          while (b - a > 1) {
            const std::int64_t m = a + (b - a) / 2;
            (date_of(tz, Instant{seconds(base + m)}) == run_date ? a : b) = m;
          }
          split = b;
        }
        out.push_back({d, weekday, static_cast<int>(lo), static_cast<int>(split), base, run_date});
        lo = split;
      }
      t = next;
    }
  }
  return out;
}

std::optional<Instant> invalid_warned_after(std::optional<Instant> previous, Instant now) {
  if (!previous) return std::nullopt;
  if (date::floor<days>(*previous) != date::floor<days>(now)) return std::nullopt;
  return previous;
}

Engagement engagement(std::optional<int> days_since_last_login,
                      std::optional<int> days_since_last_brief) {
  Engagement e;
  if (!days_since_last_login) {
    e.reason = "No last visit recorded";
    return e;
  }
  const int l = *days_since_last_login;
  const int b = days_since_last_brief.value_or(999);
  e.days_since_last_login = l;
  const auto send = [&](bool reengage, std::string reason) {
    e.should_send = true;
    e.is_reengagement = reengage;
    e.reason = std::move(reason);
    return e;
  };
  const auto skip = [&](std::string reason) {
    e.should_send = false;
    e.reason = std::move(reason);
    return e;
  };
  if (l <= 2) return send(false, "User is active (logged in within 2 days)");
  if (l < 4) return skip("Cooling off period (3 days inactive)");
  if (l == 4 && b >= 2) return send(true, "4-day re-engagement email");
  if (l > 4 && l < 10) return skip("First backoff period (5-9 days)");
  if (l == 10 && b >= 6) return send(true, "10-day re-engagement email");
  if (l > 10 && l < 31) return skip("Second backoff period (11-30 days)");
  if (l >= 31 && b >= 31) {
    return send(true, "31+ day re-engagement (" + std::to_string(l) + " days inactive)");
  }
  if (l >= 31) {
    return skip("Waiting for 31-day interval (last brief " + std::to_string(b) + " days ago)");
  }
  return skip("Default: no email");
}

}  // namespace briefos::schedule
