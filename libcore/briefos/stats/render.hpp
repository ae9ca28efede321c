// SPDX-License-Identifier: MIT
#pragma once

// Showing a report: the output formats of briefos-stats (an aligned table,
// JSON, CSV, Prometheus text exposition, an HTML page) and render(), one
// overload per report. Pure: no database, no I/O; the caller prints the
// text. The rendering policy is written at the top of render.cpp.

#include "briefos/stats/health.hpp"
#include "briefos/stats/reports.hpp"

#include <optional>
#include <string>

namespace briefos::stats {

enum class Format { table, json, csv, prometheus, html };

// `name` ("table", "json", ...) as a Format; nullopt if unknown.
std::optional<Format> parse_format(const std::string& name);
std::string to_string(Format format);

struct RenderOptions {
  Format format = Format::table;
  bool chart = false;   // per-day bar column in tables
  int chart_width = 20;
};

// Render a report; the result ends with a newline. The user report has no
// Prometheus form: asking for it throws UsageError (the operator's
// --format).
std::string render(const EmailReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const BriefReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const QueueReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const UserReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const HealthReport& report, const Meta& meta, const RenderOptions& options);

// A bar of `value` relative to `max` in at most `width` cells of Unicode
// eighth blocks ("█▌"); "" for 0.
std::string bar(double value, double max, int width);

}  // namespace briefos::stats
