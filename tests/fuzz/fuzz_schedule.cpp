// SPDX-License-Identifier: MIT
//
// libFuzzer target for the schedule rules (libcore/briefos/schedule.*):
// the time-of-day and preference parser, and the next-run computation a
// preference row drives. Preferences are rows users edit, so any text may
// reach the parser, and a zone name may be anything. Invariants:
//
// - parse_time_of_day accepts exactly what validate() calls a valid
//   time_of_day, in range, and its result prints back to a time it parses
//   to again;
// - a preference that compiles gives a next run at or after "now", within
//   a week and a day of it, that local_date/resolve_local agree with, and a
//   sweep plan whose runs are in order, inside the window, with the next
//   run after the window;
// - dates, instants and durations that parse print back to the same value.
//
// The first input byte picks the mode; fields are separated by 0x1E.
#include "fuzz_support.hpp"

#include <briefos/schedule.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

using briefos::fuzz::Fields;
namespace schedule = briefos::schedule;
using std::chrono::seconds;

constexpr std::array<std::string_view, 10> zones{
    "UTC",           "Europe/Berlin",  "America/New_York", "Pacific/Apia",   "Australia/Lord_Howe",
    "Asia/Kathmandu", "America/Santiago", "Africa/Casablanca", "Pacific/Chatham", "Europe/Dublin"};

// Four bytes of a field as an instant between 1970 and about 2106.
schedule::Instant instant_from(const std::string& f) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < f.size() && i < 4; ++i) {
    v = (v << 8) | static_cast<unsigned char>(f[i]);
  }
  return schedule::Instant{seconds{v}};
}

bool time_errors(const std::vector<std::string>& errors) {
  for (const std::string& e : errors) {
    if (e.find("time_of_day") != std::string::npos) return true;
  }
  return false;
}

void time_mode(Fields& in) {
  const std::string text = in.rest();
  const auto t = schedule::parse_time_of_day(text);
  schedule::Preference p;
  p.time_of_day = text;
  const bool invalid = time_errors(schedule::validate(p));
  FUZZ_CHECK(t.has_value() != invalid, text);
  if (!t) return;
  FUZZ_CHECK(t->hours >= 0 && t->hours <= 23 && t->minutes >= 0 && t->minutes <= 59 && t->seconds >= 0
                 && t->seconds <= 59,
             text);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", t->hours, t->minutes, t->seconds);
  const auto again = schedule::parse_time_of_day(buf);
  FUZZ_CHECK(again && again->hours == t->hours && again->minutes == t->minutes && again->seconds == t->seconds,
             text);
}

void preference_mode(Fields& in) {
  schedule::Preference p;
  const std::string shape = in.next();  // frequency, weekday and zone choice
  const unsigned char s0 = shape.empty() ? 0 : static_cast<unsigned char>(shape[0]);
  const unsigned char s1 = shape.size() < 2 ? 0 : static_cast<unsigned char>(shape[1]);
  p.frequency = in.next();
  if ((s0 & 1U) != 0) p.day_of_week = static_cast<int>(s1 % 9) - 1;  // -1 .. 7
  p.time_of_day = in.next();
  const std::string zone = in.next();
  p.timezone = (s0 & 2U) != 0 ? zone : std::string(zones[s1 % zones.size()]);
  const schedule::Instant now = instant_from(in.next());
  const std::string window = in.next();
  std::string why;
  const auto rule = schedule::compile(p, &why);
  const auto next = schedule::calculate_next_run_time(p, now);
  FUZZ_CHECK(rule.has_value() == next.has_value(), why);
  if (!rule) {
    FUZZ_CHECK(!why.empty(), p.timezone);
    return;
  }
  FUZZ_CHECK(*next >= now, schedule::format_instant(*next));
  FUZZ_CHECK(*next - now <= std::chrono::days{8} + std::chrono::hours{2}, schedule::format_instant(*next));
  FUZZ_CHECK(schedule::first_run_at_or_after(*rule, now) == *next, schedule::format_instant(*next));
  const schedule::Instant after = schedule::next_run_after(*rule, *next);
  FUZZ_CHECK(after > *next, schedule::format_instant(after));
  // The run happens on its local date at the rule's time (or shifted
  // forward by a gap, so never before it).
  const schedule::Days day = schedule::local_date(*rule, *next);
  const schedule::Instant nominal = schedule::resolve_local(*rule, day, rule->time);
  const schedule::Instant day_before = schedule::resolve_local(*rule, day - std::chrono::days{1}, rule->time);
  FUZZ_CHECK(nominal == *next || day_before == *next, schedule::format_instant(*next));
  if (rule->frequency == schedule::Frequency::weekly) {
    // The nominal date that produced the run falls on the rule's weekday.
    auto weekday_of = [](schedule::Days d) { return static_cast<int>(std::chrono::weekday{d}.c_encoding()); };
    const bool today = nominal == *next && weekday_of(day) == rule->day_of_week;
    const bool yesterday = day_before == *next && weekday_of(day - std::chrono::days{1}) == rule->day_of_week;
    FUZZ_CHECK(today || yesterday, schedule::format_instant(*next));
  }
  // A sweep window of up to ~18 h ahead and ~9 days of catch-up.
  const seconds lookahead{window.empty() ? 0 : static_cast<unsigned char>(window[0]) * 256};
  const seconds catch_up{window.size() < 2 ? 0 : static_cast<unsigned char>(window[1]) * 3000};
  const schedule::Instant stored = now - catch_up - std::chrono::hours{24};
  const auto plan = schedule::plan_runs(*rule, stored, now, lookahead, catch_up);
  FUZZ_CHECK(plan.missed >= 0, why);
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    FUZZ_CHECK(plan.runs[i] >= now - catch_up && plan.runs[i] <= now + lookahead,
               schedule::format_instant(plan.runs[i]));
    if (i > 0) FUZZ_CHECK(plan.runs[i] > plan.runs[i - 1], schedule::format_instant(plan.runs[i]));
  }
  FUZZ_CHECK(plan.next_run_at > now + lookahead, schedule::format_instant(plan.next_run_at));
}

void date_mode(Fields& in) {
  const std::string text = in.rest();
  if (const auto d = schedule::parse_date(text)) {
    FUZZ_CHECK(schedule::format_date(*d) == text, text);
  }
}

void instant_mode(Fields& in) {
  const std::string text = in.rest();
  if (const auto t = schedule::parse_instant(text)) {
    const std::string printed = schedule::format_instant(*t);
    const auto again = schedule::parse_instant(printed);
    FUZZ_CHECK(again && *again == *t, text + " -> " + printed);
  }
}

void duration_mode(Fields& in) {
  const std::string text = in.rest();
  if (const auto d = schedule::parse_duration(text)) {
    FUZZ_CHECK(d->count() >= 0, text);
    // Printed back as days, hours, minutes and seconds it parses to the same
    // duration (each number is capped at 10^8, so very long ones may not).
    long long left = d->count();
    std::string printed;
    for (const auto& [unit, secs] : {std::pair<char, long long>{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
      if (left >= secs) printed += std::to_string(left / secs) + unit;
      left %= secs;
    }
    if (printed.empty()) printed.push_back('0');  // (not = "0": g++ 12 -Wrestrict false positive)
    if (d->count() / 86400 <= 100000000LL) {
      const auto again = schedule::parse_duration(printed);
      FUZZ_CHECK(again && *again == *d, text + " -> " + printed);
    }
  }
}

void engagement_mode(Fields& in) {
  const std::string f = in.rest();
  auto value = [&](std::size_t i) -> std::optional<int> {
    if (f.size() < 2 * i + 2 || (static_cast<unsigned char>(f[2 * i]) & 1U) == 0) return std::nullopt;
    return static_cast<int>(static_cast<signed char>(f[2 * i + 1])) * 3;
  };
  const auto e = schedule::engagement(value(0), value(1));
  FUZZ_CHECK(!e.reason.empty(), f);
  FUZZ_CHECK(!e.is_reengagement || e.should_send, e.reason);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fields in(data, size);
  switch (in.mode() % 6) {
    case 0: time_mode(in); break;
    case 1: preference_mode(in); break;
    case 2: date_mode(in); break;
    case 3: instant_mode(in); break;
    case 4: duration_mode(in); break;
    default: engagement_mode(in); break;
  }
  return 0;
}
