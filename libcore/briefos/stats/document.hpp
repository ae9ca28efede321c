// SPDX-License-Identifier: MIT
#pragma once

// For the renderers in stats/ and the tables of briefos-queue (app/queue/
// output.cpp): the typed document every report becomes
// before a format shows it (sections of columns with a kind: count, ratio,
// seconds, time, ...), and the text of one cell, for people (human) or for
// machines (machine). One place decides how a kind looks, so the table, the
// CSV and the HTML page agree.

#include "briefos/stats/reports.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace briefos::stats::detail {

enum class Kind { text, count, number, ratio, seconds, time, date };

struct Column {
  std::string id;     // JSON key and CSV header
  std::string title;  // table and HTML header
  Kind kind;
};

using Value = std::variant<std::monostate, std::string, long long, double, Time>;

struct Section {
  std::string id;
  std::string title;
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  bool single = false;          // one object (key/value lines), not a table
  std::optional<std::vector<Value>> footer;  // the window total
  std::string footer_id;        // its JSON key
  int bar_column = -1;          // column charted per row in tables
  std::string empty_text = "(none)";
};

struct Chart {
  std::string title;
  int section = 0;
  int label_column = 0;
  int value_column = 0;
};

struct Document {
  Meta meta;
  std::vector<Section> sections;
  int csv_section = 0;
  std::vector<Chart> charts;    // HTML only
};

// An optional as a Value (absent: std::monostate).
Value opt(const std::optional<double>& v);
Value opt(const std::optional<std::string>& v);
Value opt(const std::optional<Time>& v);

// A count or number as double; nullopt for other values.
std::optional<double> as_double(const Value& v);

// Human text of `v` (tables, HTML): "-" for absent, durations "4m 05s",
// ratios "12.5%", times in `zone` with its abbreviation, text printable.
std::string human(const Value& v, Kind kind, const std::string& zone);

// Machine text of `v` (CSV): "" for absent, durations in seconds, ratios
// as fractions, times ISO 8601.
std::string machine(const Value& v, Kind kind, const std::string& zone);

// Numbers go to the right in tables and HTML.
bool right_aligned(Kind kind);

// The line under a report's title: report, window, zone, as-of time.
std::string header_line(const Meta& meta);

// --- Cell text ---------------------------------------------------------------

// `v` with `decimals` decimals.
std::string fixed(double v, int decimals);

// Shortest exact-enough form for machine formats (no trailing zeros, no
// exponent): "3", "0.25", "NaN", "+Inf".
std::string number(double v);

// "12.5%"; "-" when absent.
std::string percent(std::optional<double> ratio);

// Display width of UTF-8 text: one column per code point.
std::size_t display_width(const std::string& s);

// `s` with every control character (C0 and DEL) shown as "?".
std::string printable(std::string s);

// First line of `s`, printable, cut to `max` code points with an ellipsis.
std::string one_line(const std::string& s, std::size_t max);

}  // namespace briefos::stats::detail
