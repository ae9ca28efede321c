// SPDX-License-Identifier: MIT
//
// Rendering policy of briefos-stats. Every report becomes a small document of
// typed sections (columns with a kind: count, ratio, seconds, time, ...), and
// one renderer per format decides how each kind looks:
//
// - table: aligned columns for people; durations human-readable ("4m 05s"),
//   ratios as percentages, times in the --tz zone with its abbreviation, and
//   on a terminal a per-day bar column scaled to the largest day;
// - json: one document; numbers stay numbers, durations are seconds, ratios
//   fractions in [0, 1], times ISO 8601 with the zone's offset, absent values
//   null;
// - csv: the report's main table only (RFC 4180 quoting), the same machine
//   units as JSON, no total row, so it loads into a spreadsheet as is;
// - prometheus: written per report rather than from the document, because
//   metric names, types and labels are a contract with dashboards; only
//   bounded label values (job types, statuses, check names, variants), never
//   dates or error messages, so a textfile collector's series stay few;
// - html: one self-contained page (inline CSS and SVG, no scripts, no
//   external resources) with a chart per per-day series and the tables; all
//   text HTML-escaped.
//
// This file dispatches a report to its format; each format has a file of
// its own (table.cpp, json.cpp, csv.cpp, html.cpp, prometheus.cpp), and
// what each report shows is in report_documents.cpp.
#include "briefos/stats/render.hpp"

#include "briefos/error.hpp"
#include "briefos/stats/formats.hpp"
#include "briefos/stats/report_documents.hpp"

namespace briefos::stats {

using namespace detail;

namespace {

std::string render_document(const Document& doc, const RenderOptions& options) {
  switch (options.format) {
    case Format::table: return render_table(doc, options);
    case Format::json: return render_json(doc);
    case Format::csv: return render_csv(doc);
    case Format::html: return render_html(doc);
    case Format::prometheus: break;
  }
  throw UsageError("the " + doc.meta.report + " report has no prometheus format");
}

}  // namespace

std::optional<Format> parse_format(const std::string& name) {
  if (name == "table") return Format::table;
  if (name == "json") return Format::json;
  if (name == "csv") return Format::csv;
  if (name == "prometheus") return Format::prometheus;
  if (name == "html") return Format::html;
  return std::nullopt;
}

std::string to_string(Format format) {
  switch (format) {
    case Format::table: return "table";
    case Format::json: return "json";
    case Format::csv: return "csv";
    case Format::prometheus: return "prometheus";
    case Format::html: return "html";
  }
  return "table";
}

std::string render(const EmailReport& report, const Meta& meta, const RenderOptions& options) {
  if (options.format == Format::prometheus) return email_prometheus(report, meta);
  return render_document(email_document(report, meta), options);
}

std::string render(const BriefReport& report, const Meta& meta, const RenderOptions& options) {
  if (options.format == Format::prometheus) return brief_prometheus(report, meta);
  return render_document(brief_document(report, meta), options);
}

std::string render(const QueueReport& report, const Meta& meta, const RenderOptions& options) {
  if (options.format == Format::prometheus) return queue_prometheus(report, meta);
  if (options.format == Format::table) {
    // Error messages can be long and multi-line: one line each in a table.
    QueueReport shown = report;
    for (QueueError& e : shown.errors) e.message = one_line(e.message, 70);
    return render_table(queue_document(shown, meta), options);
  }
  return render_document(queue_document(report, meta), options);
}

std::string render(const UserReport& report, const Meta& meta, const RenderOptions& options) {
  if (options.format == Format::prometheus) {
    throw UsageError("the user report has no prometheus format", "Use --format table, json, csv or html.");
  }
  if (options.format == Format::table) return user_table(report, meta);
  return render_document(user_document(report, meta), options);
}

std::string render(const HealthReport& report, const Meta& meta, const RenderOptions& options) {
  switch (options.format) {
    case Format::prometheus: return health_prometheus(report, meta);
    case Format::json: return health_json(report, meta);
    case Format::csv: return health_csv(report);
    case Format::table:
    case Format::html: break;
  }
  std::string text = render_document(health_document(report, meta), options);
  if (options.format == Format::table) {
    text += std::string("\n") + (report.ok() ? "all checks passed" : "some checks FAILED") + "\n";
  }
  return text;
}

}  // namespace briefos::stats
