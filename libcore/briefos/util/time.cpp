// SPDX-License-Identifier: MIT
//
// Zone and date helpers over Howard Hinnant's date/tz and the system tz
// database. Zone look-ups are cached because locate_zone() binary-searches
// the database and throws for a miss: a sweep with many rows in one bad
// zone must not pay (or throw) once per row. The text forms are parsed by
// hand, strictly (a date that does not exist is not a date), and printed
// without locale.
#include "briefos/util/time.hpp"

#include <date/tz.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace briefos::util {

namespace {

using std::chrono::days;
using std::chrono::seconds;

// Digits of exactly `n` characters at `s[pos]`.
bool fixed_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// "+HH", "+HHMM" or "+HH:MM" (or "-..."): the offset east of UTC.
std::optional<seconds> parse_offset(std::string_view rest) {
  int oh = 0;
  int om = 0;
  if (!fixed_digits(rest, 1, 2, oh)) return std::nullopt;
  std::size_t p = 3;
  if (p < rest.size() && rest[p] == ':') ++p;
  if (p < rest.size()) {
    if (!fixed_digits(rest, p, 2, om) || p + 2 != rest.size()) return std::nullopt;
  } else if (p != rest.size()) {
    return std::nullopt;
  }
  if (oh > 23 || om > 59) return std::nullopt;
  seconds offset = std::chrono::hours(oh) + std::chrono::minutes(om);
  return rest[0] == '-' ? -offset : offset;
}

}  // namespace

const date::time_zone* find_zone(std::string_view name) {
  static std::mutex mutex;
  static std::unordered_map<std::string, const date::time_zone*> cache;
  const std::lock_guard<std::mutex> lock(mutex);
  std::string key(name);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const date::time_zone* tz = nullptr;
  if (!name.empty()) {
    try {
      tz = date::locate_zone(name);
    } catch (const std::runtime_error&) {
      tz = nullptr;
    }
  }
  cache.emplace(std::move(key), tz);
  return tz;
}

bool zone_exists(std::string_view name) { return find_zone(name) != nullptr; }

Days local_date(const date::time_zone& zone, Instant t) {
  const date::local_seconds ls = zone.to_local(t);
  return std::chrono::floor<days>(Instant{ls.time_since_epoch()});
}

std::optional<Days> local_date(std::string_view zone, Instant t) {
  const date::time_zone* tz = find_zone(zone);
  if (tz == nullptr) return std::nullopt;
  return local_date(*tz, t);
}

int days_between(Instant then, Instant now) {
  return static_cast<int>(std::chrono::floor<days>(now - then).count());
}

std::string format_date(Days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string format_instant(Instant t) {
  const Days d = std::chrono::floor<days>(t);
  const long long s = (t - d).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lldZ", format_date(d).c_str(), s / 3600,
                s / 60 % 60, s % 60);
  return buf;
}

std::optional<Days> parse_date(std::string_view text) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!fixed_digits(text, 0, 4, y) || !fixed_digits(text, 5, 2, m) || !fixed_digits(text, 8, 2, d)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Days{ymd};
}

std::optional<date::year_month_day> parse_ymd(std::string_view text) {
  const auto d = parse_date(text);
  if (!d) return std::nullopt;
  return date::year_month_day{date::sys_days{date::days{d->time_since_epoch().count()}}};
}

std::optional<Instant> parse_instant(std::string_view text) {
  if (text.size() < 16) return std::nullopt;
  const auto day = parse_date(text.substr(0, 10));
  if (!day || (text[10] != 'T' && text[10] != 't' && text[10] != ' ')) return std::nullopt;
  int h = 0;
  int mi = 0;
  int s = 0;
  if (!fixed_digits(text, 11, 2, h) || text[13] != ':' || !fixed_digits(text, 14, 2, mi)) {
    return std::nullopt;
  }
  std::size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!fixed_digits(text, pos + 1, 2, s)) return std::nullopt;
    pos += 3;
    if (pos < text.size() && text[pos] == '.') {  // fractions are dropped
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
  }
  if (h > 23 || mi > 59 || s > 59) return std::nullopt;
  seconds offset{0};
  const std::string_view rest = text.substr(pos);
  if (rest == "Z" || rest == "z" || rest.empty()) {
    // UTC
  } else if (rest[0] == '+' || rest[0] == '-') {
    const auto o = parse_offset(rest);
    if (!o) return std::nullopt;
    offset = *o;
  } else {
    return std::nullopt;
  }
  return Instant{seconds(day->time_since_epoch())} + std::chrono::hours(h)
         + std::chrono::minutes(mi) + seconds(s) - offset;
}

std::optional<seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    long long n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 100000000LL) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    long long unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
      }
      ++i;
    } else if (start != 0) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += n * unit;
  }
  return seconds(total);
}

}  // namespace briefos::util
