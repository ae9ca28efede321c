// SPDX-License-Identifier: MIT
//
// The typed document of a report and the text of its cells (see
// document.hpp). Policy for text from the database (names, error
// messages): control characters never reach a terminal or a table raw.
#include "briefos/stats/document.hpp"

#include "briefos/stats/time.hpp"

#include <cmath>
#include <cstdio>

namespace briefos::stats::detail {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Shortest exact-enough form for machine formats (no trailing zeros).
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  // Large values (ages in seconds): no exponent, millisecond precision.
  if (std::fabs(v) >= 1e6) std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string percent(std::optional<double> ratio) {
  if (!ratio) return "-";
  return fixed(*ratio * 100.0, 1) + "%";
}

// Display width of UTF-8 text: one column per code point (continuation
// bytes do not count). Good enough for our Latin text and block characters.
std::size_t display_width(const std::string& s) {
  std::size_t w = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) ++w;
  }
  return w;
}

// `s` with every control character (C0 and DEL) shown as "?". Tables go to
// an operator's terminal, and user data (a name, an error text) must not
// reach it raw: an ESC sequence in a user's name would drive the terminal,
// and a CR or LF would forge lines of the report.
std::string printable(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

// First line of `s`, cut to `max` code points with an ellipsis.
std::string one_line(const std::string& s, std::size_t max) {
  std::string line = printable(s.substr(0, s.find_first_of("\r\n")));
  if (display_width(line) <= max) return line;
  std::string out;
  std::size_t w = 0;
  for (const char c : line) {
    const bool starts = (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    if (starts && w == max - 1) break;
    if (starts) ++w;
    out += c;
  }
  return out + "…";
}

// The HTML report escapes user text with the renderer's escaper (one

Value flag(bool b) { return Value{b ? 1LL : 0LL}; }

Value opt(const std::optional<double>& v) {
  if (v) return *v;
  return {};
}

Value opt(const std::optional<std::string>& v) {
  if (v) return *v;
  return {};
}

Value opt(const std::optional<Time>& v) {
  if (v) return *v;
  return {};
}

std::optional<double> as_double(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<long long>(&v)) return static_cast<double>(*n);
  return std::nullopt;
}

// Human text of `v` (tables, HTML).
std::string human(const Value& v, Kind kind, const std::string& zone) {
  if (std::holds_alternative<std::monostate>(v)) return "-";
  switch (kind) {
    case Kind::text:
    case Kind::date:
      return printable(std::get<std::string>(v));
    case Kind::count:
      return std::to_string(std::get<long long>(v));
    case Kind::number:
      return fixed(*as_double(v), 1);
    case Kind::ratio:
      return percent(as_double(v));
    case Kind::seconds:
      return format_duration(as_double(v));
    case Kind::time:
      return format_time_human(std::get<Time>(v), zone);
    case Kind::flag:
      if (const auto* why = std::get_if<std::string>(&v)) return printable(*why);
      return std::get<long long>(v) != 0 ? "yes" : "no";
  }
  return "-";
}

// Machine text of `v` (CSV); "" for absent.
std::string machine(const Value& v, Kind kind, const std::string& zone) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  switch (kind) {
    case Kind::text:
    case Kind::date:
      return std::get<std::string>(v);
    case Kind::count:
      return std::to_string(std::get<long long>(v));
    case Kind::number:
    case Kind::ratio:
    case Kind::seconds:
      return number(*as_double(v));
    case Kind::time:
      return format_time_iso(std::get<Time>(v), zone);
    case Kind::flag:
      if (std::holds_alternative<std::string>(v)) return "";
      return std::get<long long>(v) != 0 ? "true" : "false";
  }
  return "";
}

bool right_aligned(Kind kind) {
  return kind == Kind::count || kind == Kind::number || kind == Kind::ratio
         || kind == Kind::seconds;
}

std::string header_line(const Meta& meta) {
  std::string line = meta.report;
  if (meta.days > 0) {
    line += ": " + meta.from + " to " + meta.until + " (" + std::to_string(meta.days)
            + (meta.days == 1 ? " day" : " days") + (meta.ahead.empty() ? "" : ", and " + meta.ahead + " ahead")
            + ")";
  }
  line += ", " + meta.zone;
  if (meta.zone_source == "user") line += " (the user's zone)";
  else if (meta.zone_source == "fallback") line += " (the user has no valid zone)";
  line += ", as of " + format_time_human(meta.generated_at, meta.zone);
  return line;
}

}  // namespace briefos::stats::detail
