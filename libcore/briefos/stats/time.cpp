// SPDX-License-Identifier: MIT
//
// The time rules of briefos-stats (see time.hpp): duration syntax and its
// human form, zone look-up, the day window, and instants shown in a zone.
// Dates and zones come from Howard Hinnant's date/tz library, which reads
// the system tz database.
#include "briefos/stats/time.hpp"

#include "briefos/util/time.hpp"

#include "briefos/error.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>

namespace briefos::stats {

namespace {

const date::time_zone* zone_of(const std::string& zone) {
  if (const date::time_zone* tz = util::find_zone(zone)) return tz;
  throw DataError("unknown time zone \"" + zone + "\"");
}

// `text` as a calendar date; !ok() when it is not one (util::parse_ymd's
// rule, shared with the brief).
date::year_month_day parse_date(const std::string& text) {
  return util::parse_ymd(text).value_or(date::year_month_day{});
}

}  // namespace

std::optional<double> parse_duration(const std::string& text) {
  static const std::regex whole(R"(^\s*(\d+(?:\.\d+)?)\s*$)");
  static const std::regex part(R"((\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w))");
  std::smatch m;
  if (std::regex_match(text, m, whole)) return std::stod(m[1].str());
  static const std::regex all(R"(^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$)");
  if (!std::regex_match(text, all)) return std::nullopt;
  double total = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), part); it != std::sregex_iterator(); ++it) {
    const double v = std::stod((*it)[1].str());
    const std::string unit = (*it)[2].str();
    if (unit == "ms") total += v / 1000.0;
    else if (unit == "s") total += v;
    else if (unit == "m") total += v * 60;
    else if (unit == "h") total += v * 3600;
    else if (unit == "d") total += v * 86400;
    else total += v * 7 * 86400;
  }
  return total;
}

std::string format_duration(std::optional<double> seconds) {
  if (!seconds || std::isnan(*seconds)) return "-";
  double s = *seconds;
  std::string sign;
  if (s < 0) {
    sign = "-";
    s = -s;
  }
  char buf[64];
  if (s < 10) {
    std::snprintf(buf, sizeof buf, "%.2fs", s);
  } else if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else {
    const auto total = static_cast<long long>(std::llround(s));
    const long long d = total / 86400;
    const long long h = (total % 86400) / 3600;
    const long long m = (total % 3600) / 60;
    const long long sec = total % 60;
    if (total < 3600) std::snprintf(buf, sizeof buf, "%lldm %02llds", m, sec);
    else if (total < 86400) std::snprintf(buf, sizeof buf, "%lldh %02lldm", h, m);
    else std::snprintf(buf, sizeof buf, "%lldd %02lldh", d, h);
  }
  return sign + buf;
}

std::string default_zone() {
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    std::string name = tz[0] == ':' ? tz + 1 : tz;
    if (is_valid_zone(name)) return name;
  }
  try {
    return std::string(date::current_zone()->name());
  } catch (const std::exception&) {
    return "UTC";
  }
}

bool is_valid_zone(const std::string& zone) { return util::zone_exists(zone); }

bool is_date(const std::string& text) { return parse_date(text).ok(); }

std::string local_date(Time at, const std::string& zone) {
  const date::zoned_time<std::chrono::microseconds> zt{zone_of(zone), at};
  return date::format("%F", date::floor<date::days>(zt.get_local_time()));
}

std::vector<std::string> date_range(const std::string& until, int days) {
  const date::year_month_day ymd = parse_date(until);
  if (!ymd.ok()) {
    throw DataError("invalid date \"" + until + "\": expected YYYY-MM-DD");
  }
  std::vector<std::string> out;
  const date::sys_days last{ymd};
  for (int i = days - 1; i >= 0; --i) out.push_back(date::format("%F", last - date::days{i}));
  return out;
}

std::string format_time_human(Time at, const std::string& zone) {
  const date::zoned_time<std::chrono::seconds> zt{zone_of(zone), date::floor<std::chrono::seconds>(at)};
  return date::format("%F %T %Z", zt);
}

std::string format_time_iso(Time at, const std::string& zone) {
  const date::zoned_time<std::chrono::seconds> zt{zone_of(zone), date::floor<std::chrono::seconds>(at)};
  std::string s = date::format("%FT%T%z", zt);
  // %z gives +0100; ISO 8601 / RFC 3339 want +01:00.
  s.insert(s.size() - 2, ":");
  return s;
}

}  // namespace briefos::stats
