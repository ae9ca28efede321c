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
// Health thresholds live in evaluate_health() so the policy can be tested
// without a database.
#include "briefos/stats.hpp"

#include "briefos/error.hpp"
#include "briefos/render.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

namespace briefos::stats {

namespace {

using Json = nlohmann::ordered_json;

// --- Small formatting helpers ----------------------------------------------

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
// definition of what HTML-safe means in the project).
using render::html_escape;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const date::time_zone* zone_of(const std::string& zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    throw UsageError("unknown time zone \"" + zone + "\"");
  }
}

// --- The document model ----------------------------------------------------

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
  }
  return "";
}

Json to_json(const Value& v, Kind kind, const std::string& zone) {
  if (std::holds_alternative<std::monostate>(v)) return nullptr;
  switch (kind) {
    case Kind::text:
    case Kind::date:
      return std::get<std::string>(v);
    case Kind::count:
      return std::get<long long>(v);
    case Kind::number:
    case Kind::ratio:
    case Kind::seconds:
      return *as_double(v);
    case Kind::time:
      return format_time_iso(std::get<Time>(v), zone);
  }
  return nullptr;
}

bool right_aligned(Kind kind) {
  return kind == Kind::count || kind == Kind::number || kind == Kind::ratio
         || kind == Kind::seconds;
}

std::string pad(const std::string& s, std::size_t width, bool right) {
  const std::size_t w = display_width(s);
  if (w >= width) return s;
  const std::string fill(width - w, ' ');
  return right ? fill + s : s + fill;
}

std::string header_line(const Meta& meta) {
  std::string line = meta.report;
  if (meta.days > 0) {
    line += ": " + meta.from + " to " + meta.until + " (" + std::to_string(meta.days)
            + (meta.days == 1 ? " day" : " days") + ")";
  }
  line += ", " + meta.zone + ", as of " + format_time_human(meta.generated_at, meta.zone);
  return line;
}

std::string render_table(const Document& doc, const RenderOptions& options) {
  const std::string& zone = doc.meta.zone;
  std::ostringstream out;
  out << header_line(doc.meta) << "\n";
  for (const Section& s : doc.sections) {
    out << "\n";
    if (!s.title.empty()) out << s.title << "\n";
    if (s.single) {
      std::size_t key_w = 0;
      for (const Column& c : s.columns) key_w = std::max(key_w, display_width(c.title));
      const std::vector<Value>& row = s.rows.front();
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        out << "  " << pad(s.columns[i].title + ":", key_w + 1, false) << " "
            << human(row[i], s.columns[i].kind, zone) << "\n";
      }
      continue;
    }
    if (s.rows.empty()) {
      out << "  " << s.empty_text << "\n";
      continue;
    }
    const bool with_bar = options.chart && s.bar_column >= 0;
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> head;
    for (const Column& c : s.columns) head.push_back(c.title);
    double bar_max = 0;
    if (with_bar) {
      head.push_back(s.columns[static_cast<std::size_t>(s.bar_column)].title + " per day");
      for (const auto& row : s.rows) {
        bar_max = std::max(bar_max, as_double(row[static_cast<std::size_t>(s.bar_column)]).value_or(0));
      }
    }
    cells.push_back(head);
    auto add_row = [&](const std::vector<Value>& row, bool footer) {
      std::vector<std::string> line;
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        line.push_back(human(row[i], s.columns[i].kind, zone));
      }
      if (with_bar) {
        line.push_back(footer ? ""
                              : bar(as_double(row[static_cast<std::size_t>(s.bar_column)]).value_or(0),
                                    bar_max, options.chart_width));
      }
      cells.push_back(line);
    };
    for (const auto& row : s.rows) add_row(row, false);
    if (s.footer) add_row(*s.footer, true);
    std::vector<std::size_t> widths(head.size(), 0);
    for (const auto& line : cells) {
      for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], display_width(line[i]));
    }
    auto print = [&](const std::vector<std::string>& line) {
      std::string text;
      for (std::size_t i = 0; i < line.size(); ++i) {
        const bool right = i < s.columns.size() && right_aligned(s.columns[i].kind);
        const bool last = i + 1 == line.size();
        text += (i == 0 ? "" : "  ")
                + (last && !right ? line[i] : pad(line[i], widths[i], right));
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << text << "\n";
    };
    print(cells.front());
    std::size_t total_w = 0;
    for (std::size_t i = 0; i < widths.size(); ++i) total_w += widths[i] + (i == 0 ? 0 : 2);
    std::string rule;
    for (std::size_t i = 0; i < total_w; ++i) rule += "-";
    out << rule << "\n";
    const std::size_t body_end = s.rows.size() + 1;
    for (std::size_t r = 1; r < cells.size(); ++r) {
      if (s.footer && r == body_end) out << rule << "\n";
      print(cells[r]);
    }
  }
  return out.str();
}

Json row_object(const Section& s, const std::vector<Value>& row, const std::string& zone) {
  Json o = Json::object();
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    o[s.columns[i].id] = to_json(row[i], s.columns[i].kind, zone);
  }
  return o;
}

std::string render_json(const Document& doc) {
  const Meta& m = doc.meta;
  Json j = Json::object();
  j["report"] = m.report;
  j["generated_at"] = format_time_iso(m.generated_at, m.zone);
  j["zone"] = m.zone;
  if (m.days > 0) j["window"] = Json{{"days", m.days}, {"from", m.from}, {"until", m.until}};
  for (const Section& s : doc.sections) {
    if (s.single) {
      j[s.id] = row_object(s, s.rows.front(), m.zone);
      continue;
    }
    Json rows = Json::array();
    for (const auto& row : s.rows) rows.push_back(row_object(s, row, m.zone));
    j[s.id] = rows;
    if (s.footer) j[s.footer_id] = row_object(s, *s.footer, m.zone);
  }
  return j.dump(2) + "\n";
}

std::string render_csv(const Document& doc) {
  const Section& s = doc.sections[static_cast<std::size_t>(doc.csv_section)];
  std::ostringstream out;
  for (std::size_t i = 0; i < s.columns.size(); ++i) out << (i ? "," : "") << s.columns[i].id;
  out << "\n";
  for (const auto& row : s.rows) {
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
      out << (i ? "," : "") << csv_field(machine(row[i], s.columns[i].kind, doc.meta.zone));
    }
    out << "\n";
  }
  return out.str();
}

// A bar chart of one column per row, as inline SVG.
std::string svg_chart(const Document& doc, const Chart& chart) {
  const Section& s = doc.sections[static_cast<std::size_t>(chart.section)];
  const Column& col = s.columns[static_cast<std::size_t>(chart.value_column)];
  const std::size_t n = s.rows.size();
  const int width = 720;
  const int height = 220;
  const int left = 56;
  const int right = 12;
  const int top = 16;
  const int bottom = 40;
  const double plot_w = width - left - right;
  const double plot_h = height - top - bottom;
  double max = 0;
  for (const auto& row : s.rows) {
    max = std::max(max, as_double(row[static_cast<std::size_t>(chart.value_column)]).value_or(0));
  }
  if (col.kind == Kind::ratio) max = std::max(max, 1.0);
  if (max <= 0) max = 1;
  std::ostringstream out;
  out << "<figure>\n<figcaption>" << html_escape(chart.title) << "</figcaption>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\""
      << html_escape(chart.title) << "\">\n"
      << "<line x1=\"" << left << "\" y1=\"" << top + plot_h << "\" x2=\"" << width - right
      << "\" y2=\"" << top + plot_h << "\" class=\"axis\"/>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << top + 4 << "\" text-anchor=\"end\">"
      << html_escape(human(Value{max}, col.kind == Kind::count ? Kind::number : col.kind, doc.meta.zone))
      << "</text>\n"
      << "<text x=\"" << left - 6 << "\" y=\"" << top + plot_h << "\" text-anchor=\"end\">0</text>\n";
  const double slot = n > 0 ? plot_w / static_cast<double>(n) : plot_w;
  const std::size_t label_every = n > 14 ? (n + 13) / 14 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = s.rows[i];
    const Value& v = row[static_cast<std::size_t>(chart.value_column)];
    const double value = as_double(v).value_or(0);
    const double h = plot_h * value / max;
    const double x = left + slot * static_cast<double>(i) + slot * 0.15;
    const std::string label = human(row[static_cast<std::size_t>(chart.label_column)], Kind::text, doc.meta.zone);
    out << "<rect x=\"" << fixed(x, 1) << "\" y=\"" << fixed(top + plot_h - h, 1) << "\" width=\""
        << fixed(slot * 0.7, 1) << "\" height=\"" << fixed(h, 1) << "\"><title>"
        << html_escape(label + ": " + human(v, col.kind, doc.meta.zone)) << "</title></rect>\n";
    if (i % label_every == 0) {
      out << "<text x=\"" << fixed(x + slot * 0.35, 1) << "\" y=\"" << height - bottom + 16
          << "\" text-anchor=\"middle\">" << html_escape(label.size() >= 10 ? label.substr(5) : label)
          << "</text>\n";
    }
  }
  out << "</svg>\n</figure>\n";
  return out.str();
}

std::string render_html(const Document& doc) {
  const std::string& zone = doc.meta.zone;
  std::ostringstream out;
  const std::string title = "briefos-stats: " + doc.meta.report;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<title>" << html_escape(title) << "</title>\n"
      << "<style>\n"
         "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
         "table{border-collapse:collapse;margin:1em 0}\n"
         "th,td{padding:.25em .75em;border-bottom:1px solid #ddd;text-align:left}\n"
         "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
         "tfoot td{font-weight:bold;border-top:2px solid #999}\n"
         "svg rect{fill:#4a7bd0} svg text{font-size:11px;fill:#555} svg .axis{stroke:#999}\n"
         "figcaption{font-weight:bold;margin-top:1em}\n"
         "</style>\n</head>\n<body>\n"
      << "<h1>" << html_escape(title) << "</h1>\n"
      << "<p>" << html_escape(header_line(doc.meta)) << "</p>\n";
  for (const Chart& c : doc.charts) out << svg_chart(doc, c);
  for (const Section& s : doc.sections) {
    if (!s.title.empty()) out << "<h2>" << html_escape(s.title) << "</h2>\n";
    if (s.single) {
      out << "<table>\n<tbody>\n";
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        out << "<tr><th>" << html_escape(s.columns[i].title) << "</th><td>"
            << html_escape(human(s.rows.front()[i], s.columns[i].kind, zone)) << "</td></tr>\n";
      }
      out << "</tbody>\n</table>\n";
      continue;
    }
    if (s.rows.empty()) {
      out << "<p>" << html_escape(s.empty_text) << "</p>\n";
      continue;
    }
    auto cls = [&](std::size_t i) {
      return right_aligned(s.columns[i].kind) ? std::string(" class=\"n\"") : std::string();
    };
    out << "<table>\n<thead>\n<tr>";
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
      out << "<th" << cls(i) << ">" << html_escape(s.columns[i].title) << "</th>";
    }
    out << "</tr>\n</thead>\n<tbody>\n";
    auto row_html = [&](const std::vector<Value>& row) {
      out << "<tr>";
      for (std::size_t i = 0; i < s.columns.size(); ++i) {
        out << "<td" << cls(i) << ">" << html_escape(human(row[i], s.columns[i].kind, zone)) << "</td>";
      }
      out << "</tr>\n";
    };
    for (const auto& row : s.rows) row_html(row);
    out << "</tbody>\n";
    if (s.footer) {
      out << "<tfoot>\n";
      row_html(*s.footer);
      out << "</tfoot>\n";
    }
    out << "</table>\n";
  }
  out << "</body>\n</html>\n";
  return out.str();
}

// --- Prometheus text exposition -------------------------------------------

std::string label_value(const std::string& v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

class Exposition {
public:
  void family(const std::string& name, const std::string& type, const std::string& help) {
    m_out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const std::string& name,
              const std::vector<std::pair<std::string, std::string>>& labels,
              double value) {
    m_out << name;
    if (!labels.empty()) {
      m_out << "{";
      for (std::size_t i = 0; i < labels.size(); ++i) {
        m_out << (i ? "," : "") << labels[i].first << "=\"" << label_value(labels[i].second) << "\"";
      }
      m_out << "}";
    }
    m_out << " " << number(value) << "\n";
  }
  std::string str() const { return m_out.str(); }

private:
  std::ostringstream m_out;
};

double seconds_since_epoch(Time t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1e6;
}

void generated_metric(Exposition& e, const Meta& meta) {
  e.family("briefos_stats_generated_timestamp_seconds", "gauge",
           "Unix time at which briefos-stats produced this report.");
  e.sample("briefos_stats_generated_timestamp_seconds", {{"report", meta.report}},
           std::floor(seconds_since_epoch(meta.generated_at)));
}

std::string window_text(const Meta& meta) {
  return "the last " + std::to_string(meta.days) + " day(s) in zone " + meta.zone;
}

// --- Documents per report --------------------------------------------------

std::vector<Value> email_row(const EmailDay& d, const std::string& date) {
  return {date, d.total, d.sent, d.failed, d.pending, d.cancelled, d.opened,
          opt(d.open_rate()), opt(d.avg_send_seconds), opt(d.p95_send_seconds)};
}

Document email_document(const EmailReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section days{"days", "", {}, {}, false, std::nullopt, "total", 2, "(none)"};
  days.columns = {{"date", "date", Kind::date},
                  {"total", "total", Kind::count},
                  {"sent", "sent", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"pending", "pending", Kind::count},
                  {"cancelled", "cancelled", Kind::count},
                  {"opened", "opened", Kind::count},
                  {"open_rate", "open rate", Kind::ratio},
                  {"avg_send_seconds", "avg send", Kind::seconds},
                  {"p95_send_seconds", "p95 send", Kind::seconds}};
  for (const EmailDay& d : r.days) days.rows.push_back(email_row(d, d.date));
  days.footer = email_row(r.total, "total");
  doc.sections.push_back(days);
  doc.charts.push_back({"Emails sent per day", 0, 0, 2});
  doc.charts.push_back({"Open rate per day", 0, 0, 7});
  if (r.by_variant) {
    Section v{"variants", "By subject variant", {}, {}, false, std::nullopt, "variant_totals", -1,
              "(no emails in the window)"};
    v.columns = {{"date", "date", Kind::date},
                 {"variant", "variant", Kind::text},
                 {"sent", "sent", Kind::count},
                 {"opened", "opened", Kind::count},
                 {"open_rate", "open rate", Kind::ratio}};
    for (const EmailVariant& e : r.variants) {
      v.rows.push_back({e.date, e.variant.value_or("(none)"), e.sent, e.opened, opt(e.open_rate())});
    }
    doc.sections.push_back(v);
    Section t{"variant_totals", "By subject variant, whole window", {}, {}, false, std::nullopt, "", -1,
              "(no emails in the window)"};
    t.columns = {{"variant", "variant", Kind::text},
                 {"sent", "sent", Kind::count},
                 {"opened", "opened", Kind::count},
                 {"open_rate", "open rate", Kind::ratio}};
    for (const EmailVariant& e : r.variant_totals) {
      t.rows.push_back({e.variant.value_or("(none)"), e.sent, e.opened, opt(e.open_rate())});
    }
    doc.sections.push_back(t);
    doc.csv_section = 1;
  }
  return doc;
}

std::string email_prometheus(const EmailReport& r, const Meta& meta) {
  Exposition e;
  const std::string w = window_text(meta);
  e.family("briefos_brief_emails", "gauge",
           "Daily-brief email recipients created in " + w + ", by email status.");
  const std::vector<std::pair<std::string, long long>> statuses = {
      {"sent", r.total.sent}, {"failed", r.total.failed}, {"pending", r.total.pending},
      {"cancelled", r.total.cancelled},
      {"other", r.total.total - r.total.sent - r.total.failed - r.total.pending - r.total.cancelled}};
  for (const auto& [status, n] : statuses) {
    e.sample("briefos_brief_emails", {{"status", status}}, static_cast<double>(n));
  }
  e.family("briefos_brief_emails_opened", "gauge",
           "Daily-brief email recipients created in " + w + " that opened the email.");
  e.sample("briefos_brief_emails_opened", {}, static_cast<double>(r.total.opened));
  e.family("briefos_brief_email_open_ratio", "gauge",
           "Opened divided by sent for daily-brief emails created in " + w + " (0 when none was sent).");
  e.sample("briefos_brief_email_open_ratio", {}, r.total.open_rate().value_or(0));
  e.family("briefos_brief_email_send_delay_seconds", "summary",
           "Time from creating a daily-brief email to sending it, for emails created in " + w + ".");
  if (r.total.p95_send_seconds) {
    e.sample("briefos_brief_email_send_delay_seconds", {{"quantile", "0.95"}}, *r.total.p95_send_seconds);
  }
  e.sample("briefos_brief_email_send_delay_seconds_sum", {}, r.total.sum_send_seconds);
  e.sample("briefos_brief_email_send_delay_seconds_count", {}, static_cast<double>(r.total.send_samples));
  if (r.by_variant) {
    e.family("briefos_brief_emails_sent_by_variant", "gauge",
             "Sent daily-brief email recipients created in " + w + ", by subject variant (\"none\" without one).");
    for (const EmailVariant& v : r.variant_totals) {
      e.sample("briefos_brief_emails_sent_by_variant", {{"variant", v.variant.value_or("none")}},
               static_cast<double>(v.sent));
    }
    e.family("briefos_brief_email_open_ratio_by_variant", "gauge",
             "Opened divided by sent per subject variant for emails created in " + w + ".");
    for (const EmailVariant& v : r.variant_totals) {
      e.sample("briefos_brief_email_open_ratio_by_variant", {{"variant", v.variant.value_or("none")}},
               v.open_rate().value_or(0));
    }
  }
  generated_metric(e, meta);
  return e.str();
}

std::vector<Value> brief_row(const BriefDay& d, const std::string& date) {
  return {date, d.total, d.generated, d.failed, d.empty, d.with_llm,
          opt(d.avg_generation_seconds), opt(d.p95_generation_seconds), opt(d.avg_projects)};
}

Document brief_document(const BriefReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section days{"days", "", {}, {}, false, std::nullopt, "total", 2, "(none)"};
  days.columns = {{"date", "brief date", Kind::date},
                  {"total", "total", Kind::count},
                  {"generated", "generated", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"empty", "empty", Kind::count},
                  {"with_llm", "with LLM", Kind::count},
                  {"avg_generation_seconds", "avg time", Kind::seconds},
                  {"p95_generation_seconds", "p95 time", Kind::seconds},
                  {"avg_projects", "projects/brief", Kind::number}};
  for (const BriefDay& d : r.days) days.rows.push_back(brief_row(d, d.date));
  days.footer = brief_row(r.total, "total");
  doc.sections.push_back(days);
  doc.charts.push_back({"Briefs generated per day", 0, 0, 2});
  doc.charts.push_back({"p95 generation time per day", 0, 0, 7});
  return doc;
}

std::string brief_prometheus(const BriefReport& r, const Meta& meta) {
  Exposition e;
  const std::string w = "brief dates in " + window_text(meta);
  e.family("briefos_daily_briefs", "gauge", "Daily briefs for " + w + ", by outcome.");
  e.sample("briefos_daily_briefs", {{"outcome", "generated"}}, static_cast<double>(r.total.generated));
  e.sample("briefos_daily_briefs", {{"outcome", "failed"}}, static_cast<double>(r.total.failed));
  e.sample("briefos_daily_briefs", {{"outcome", "other"}},
           static_cast<double>(r.total.total - r.total.generated - r.total.failed));
  e.family("briefos_daily_briefs_empty", "gauge", "Daily briefs for " + w + " that were empty.");
  e.sample("briefos_daily_briefs_empty", {}, static_cast<double>(r.total.empty));
  e.family("briefos_daily_briefs_with_llm_analysis", "gauge",
           "Daily briefs for " + w + " that have an LLM analysis.");
  e.sample("briefos_daily_briefs_with_llm_analysis", {}, static_cast<double>(r.total.with_llm));
  e.family("briefos_daily_brief_generation_seconds", "summary",
           "Time to generate a daily brief (started to completed) for " + w + ".");
  if (r.total.p95_generation_seconds) {
    e.sample("briefos_daily_brief_generation_seconds", {{"quantile", "0.95"}}, *r.total.p95_generation_seconds);
  }
  e.sample("briefos_daily_brief_generation_seconds_sum", {}, r.total.sum_generation_seconds);
  e.sample("briefos_daily_brief_generation_seconds_count", {}, static_cast<double>(r.total.generation_samples));
  e.family("briefos_daily_brief_projects_avg", "gauge",
           "Average number of projects per generated daily brief for " + w + ".");
  e.sample("briefos_daily_brief_projects_avg", {}, r.total.avg_projects.value_or(0));
  generated_metric(e, meta);
  return e.str();
}

Document queue_document(const QueueReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section jobs{"job_types", "", {}, {}, false, std::nullopt, "", -1, "(queue is empty)"};
  jobs.columns = {{"job_type", "job type", Kind::text},
                  {"pending", "pending", Kind::count},
                  {"due", "due now", Kind::count},
                  {"oldest_due_seconds", "oldest due", Kind::seconds},
                  {"processing", "running", Kind::count},
                  {"expired_leases", "expired", Kind::count},
                  {"retrying", "retrying", Kind::count},
                  {"completed", "completed", Kind::count},
                  {"failed", "failed", Kind::count},
                  {"cancelled", "cancelled", Kind::count},
                  {"failed_24h", "failed 24h", Kind::count}};
  for (const QueueType& t : r.types) {
    jobs.rows.push_back({t.job_type, t.pending, t.due, opt(t.oldest_due_seconds), t.processing,
                         t.expired, t.retrying, t.completed, t.failed, t.cancelled, t.failed_24h});
  }
  doc.sections.push_back(jobs);
  Section errors{"failures_24h", "Most common errors of jobs that failed in the last 24 hours", {}, {},
                 false, std::nullopt, "", -1, "(no failures)"};
  errors.columns = {{"job_type", "job type", Kind::text},
                    {"count", "count", Kind::count},
                    {"last_seen", "last seen", Kind::time},
                    {"message", "error", Kind::text}};
  for (const QueueError& q : r.errors) {
    errors.rows.push_back({q.job_type, q.count, opt(q.last_seen), q.message});
  }
  doc.sections.push_back(errors);
  return doc;
}

std::string queue_prometheus(const QueueReport& r, const Meta& meta) {
  Exposition e;
  e.family("briefos_queue_jobs", "gauge", "Jobs in queue_jobs, by job type and status.");
  for (const QueueType& t : r.types) {
    const std::vector<std::pair<std::string, long long>> s = {
        {"pending", t.pending},     {"processing", t.processing}, {"retrying", t.retrying},
        {"completed", t.completed}, {"failed", t.failed},         {"cancelled", t.cancelled}};
    for (const auto& [status, n] : s) {
      e.sample("briefos_queue_jobs", {{"job_type", t.job_type}, {"status", status}}, static_cast<double>(n));
    }
  }
  e.family("briefos_queue_jobs_due", "gauge",
           "Pending jobs whose scheduled_for has passed, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_jobs_due", {{"job_type", t.job_type}}, static_cast<double>(t.due));
  }
  e.family("briefos_queue_oldest_due_age_seconds", "gauge",
           "How long the longest-waiting due pending job has waited past scheduled_for (0 when none).");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_oldest_due_age_seconds", {{"job_type", t.job_type}}, t.oldest_due_seconds.value_or(0));
  }
  e.family("briefos_queue_expired_leases", "gauge",
           "Processing jobs whose lease (locked_until) has expired, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_expired_leases", {{"job_type", t.job_type}}, static_cast<double>(t.expired));
  }
  e.family("briefos_queue_jobs_failed_last_24h", "gauge",
           "Jobs that ended failed in the last 24 hours, by job type.");
  for (const QueueType& t : r.types) {
    e.sample("briefos_queue_jobs_failed_last_24h", {{"job_type", t.job_type}}, static_cast<double>(t.failed_24h));
  }
  generated_metric(e, meta);
  return e.str();
}

Document user_document(const UserReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  const UserInfo& u = r.user;
  Section info{"user", "", {}, {}, true, std::nullopt, "", -1, ""};
  info.columns = {{"id", "user", Kind::text},
                  {"email", "email", Kind::text},
                  {"name", "name", Kind::text},
                  {"timezone", "time zone", Kind::text},
                  {"time_of_day", "brief time", Kind::text},
                  {"briefs_active", "briefs active", Kind::text},
                  {"email_daily_brief", "email opt-in", Kind::text}};
  const std::string no_prefs = "(no preferences)";
  info.rows.push_back({u.id, u.email, opt(u.name),
                       u.has_preferences ? opt(u.timezone) : Value{no_prefs},
                       u.has_preferences ? opt(u.time_of_day) : Value{no_prefs},
                       u.has_preferences ? std::string(u.is_active ? "yes" : "no") : no_prefs,
                       u.has_preferences ? std::string(u.email_daily_brief ? "yes" : "no") : no_prefs});
  doc.sections.push_back(info);

  Section briefs{"briefs", "Briefs and their emails", {}, {}, false, std::nullopt, "", -1,
                 "(no briefs in the window)"};
  briefs.columns = {{"brief_date", "brief date", Kind::date},
                    {"brief_id", "brief", Kind::text},
                    {"status", "status", Kind::text},
                    {"generation_seconds", "took", Kind::seconds},
                    {"projects", "projects", Kind::count},
                    {"empty", "empty", Kind::text},
                    {"llm_status", "LLM", Kind::text},
                    {"email_id", "email", Kind::text},
                    {"email_status", "email status", Kind::text},
                    {"sent_at", "sent at", Kind::time},
                    {"recipient", "recipient", Kind::text},
                    {"recipient_status", "recipient status", Kind::text},
                    {"opened_at", "opened at", Kind::time},
                    {"open_count", "opens", Kind::count},
                    {"outcome", "outcome", Kind::text},
                    {"reason", "reason", Kind::text}};
  for (const UserBrief& b : r.briefs) {
    const Value llm = opt(b.llm_status);
    if (b.emails.empty()) {
      briefs.rows.push_back({b.brief_date, b.id, b.status, opt(b.generation_seconds), b.project_count,
                             std::string(b.is_empty ? "yes" : "no"), llm, Value{}, Value{}, Value{}, Value{},
                             Value{}, Value{}, Value{}, email_outcome(u, b), opt(b.error)});
      continue;
    }
    for (const UserEmail& m : b.emails) {
      std::optional<std::string> reason = m.error ? m.error : m.recipient_error;
      if (!reason && b.error) reason = b.error;
      UserBrief single = b;
      single.emails = {m};
      briefs.rows.push_back({b.brief_date, b.id, b.status, opt(b.generation_seconds), b.project_count,
                             std::string(b.is_empty ? "yes" : "no"), llm, m.id, m.status, opt(m.sent_at),
                             opt(m.recipient), opt(m.recipient_status), opt(m.opened_at), m.open_count,
                             email_outcome(u, single), opt(reason)});
    }
  }
  doc.sections.push_back(briefs);
  doc.csv_section = 1;

  Section jobs{"jobs", "Recent brief and email jobs", {}, {}, false, std::nullopt, "", -1, "(no jobs in the window)"};
  jobs.columns = {{"id", "job", Kind::count},
                  {"job_type", "type", Kind::text},
                  {"brief_date", "brief date", Kind::text},
                  {"status", "status", Kind::text},
                  {"attempts", "attempts", Kind::text},
                  {"scheduled_for", "scheduled for", Kind::time},
                  {"completed_at", "finished at", Kind::time},
                  {"error", "error", Kind::text}};
  for (const UserJob& j : r.jobs) {
    jobs.rows.push_back({j.id, j.job_type, opt(j.brief_date), j.status,
                         std::to_string(j.attempts) + "/" + std::to_string(j.max_attempts), j.scheduled_for,
                         opt(j.completed_at), opt(j.error)});
  }
  doc.sections.push_back(jobs);
  return doc;
}

// The user report in a table is wide; a per-brief block reads better.
std::string user_table(const UserReport& r, const Meta& meta) {
  const std::string& zone = meta.zone;
  std::ostringstream out;
  Document doc = user_document(r, meta);
  doc.sections.resize(1);
  out << render_table(doc, RenderOptions{});
  out << "\nBriefs and their emails\n";
  if (r.briefs.empty()) out << "  (no briefs in the window)\n";
  for (const UserBrief& b : r.briefs) {
    out << "  " << b.brief_date << "  " << b.status;
    if (b.completed_at) out << " at " << format_time_human(*b.completed_at, zone);
    if (b.generation_seconds) out << " (took " << format_duration(b.generation_seconds) << ")";
    out << ", " << b.project_count << (b.project_count == 1 ? " project" : " projects");
    if (b.failed_project_count > 0) out << " (" << b.failed_project_count << " failed)";
    if (b.is_empty) out << ", empty";
    if (b.llm_status) out << ", LLM " << *b.llm_status;
    out << "\n    brief " << b.id << "\n";
    if (b.error) out << "    error: " << one_line(*b.error, 100) << "\n";
    if (b.emails.empty()) out << "    email: " << email_outcome(r.user, b) << "\n";
    for (const UserEmail& m : b.emails) {
      UserBrief single = b;
      single.emails = {m};
      out << "    email " << m.id << ": " << email_outcome(r.user, single) << "\n";
      if (m.recipient) {
        out << "      to " << printable(*m.recipient) << " (" << m.recipient_status.value_or("-") << ")";
        if (m.sent_at) out << ", sent " << format_time_human(*m.sent_at, zone);
        if (m.opened_at) out << ", first opened " << format_time_human(*m.opened_at, zone);
        out << "\n";
      }
      if (m.error) out << "      reason: " << one_line(*m.error, 100) << "\n";
      if (m.recipient_error && m.recipient_error != m.error) {
        out << "      recipient error: " << one_line(*m.recipient_error, 100) << "\n";
      }
    }
  }
  Document jobs_doc = user_document(r, meta);
  Section jobs = jobs_doc.sections[2];
  for (auto& row : jobs.rows) {
    if (const auto* s = std::get_if<std::string>(&row[7])) row[7] = one_line(*s, 60);
  }
  jobs_doc.sections = {jobs};
  const std::string jobs_text = render_table(jobs_doc, RenderOptions{});
  out << jobs_text.substr(jobs_text.find('\n') + 1);
  return out.str();
}

Document health_document(const HealthReport& r, const Meta& meta) {
  Document doc{meta, {}, 0, {}};
  Section checks{"checks", "", {}, {}, false, std::nullopt, "", -1, "(no checks)"};
  checks.columns = {{"check", "check", Kind::text},
                    {"status", "status", Kind::text},
                    {"value", "value", Kind::text},
                    {"threshold", "threshold", Kind::text},
                    {"detail", "detail", Kind::text}};
  for (const HealthCheck& c : r.checks) {
    auto show = [&](std::optional<double> v) -> std::string {
      if (!v) return "-";
      if (c.unit == "seconds") return format_duration(v);
      if (c.unit == "ratio") return percent(v);
      return number(*v);
    };
    checks.rows.push_back({c.name, std::string(c.ok ? "PASS" : "FAIL"), show(c.value), show(c.threshold), c.detail});
  }
  doc.sections.push_back(checks);
  return doc;
}

std::string health_json(const HealthReport& r, const Meta& meta) {
  Json j = Json::object();
  j["report"] = meta.report;
  j["generated_at"] = format_time_iso(meta.generated_at, meta.zone);
  j["zone"] = meta.zone;
  j["ok"] = r.ok();
  Json checks = Json::array();
  for (const HealthCheck& c : r.checks) {
    checks.push_back(Json{{"check", c.name},
                          {"status", c.ok ? "pass" : "fail"},
                          {"ok", c.ok},
                          {"value", c.value ? Json(*c.value) : Json(nullptr)},
                          {"threshold", c.threshold},
                          {"unit", c.unit},
                          {"detail", c.detail}});
  }
  j["checks"] = checks;
  return j.dump(2) + "\n";
}

std::string health_csv(const HealthReport& r) {
  std::ostringstream out;
  out << "check,status,value,threshold,unit,detail\n";
  for (const HealthCheck& c : r.checks) {
    out << c.name << "," << (c.ok ? "pass" : "fail") << "," << (c.value ? number(*c.value) : "") << ","
        << number(c.threshold) << "," << c.unit << "," << csv_field(c.detail) << "\n";
  }
  return out.str();
}

std::string health_prometheus(const HealthReport& r, const Meta& meta) {
  Exposition e;
  e.family("briefos_health_ok", "gauge", "1 if every briefos health check passed, else 0.");
  e.sample("briefos_health_ok", {}, r.ok() ? 1 : 0);
  e.family("briefos_health_check_ok", "gauge", "1 if the health check passed, else 0.");
  for (const HealthCheck& c : r.checks) e.sample("briefos_health_check_ok", {{"check", c.name}}, c.ok ? 1 : 0);
  e.family("briefos_health_check_value", "gauge",
           "The value a health check compared (seconds, ratio or count; see briefos-stats(1)).");
  for (const HealthCheck& c : r.checks) {
    if (c.value) e.sample("briefos_health_check_value", {{"check", c.name}}, *c.value);
  }
  e.family("briefos_health_check_threshold", "gauge", "The threshold of a health check.");
  for (const HealthCheck& c : r.checks) e.sample("briefos_health_check_threshold", {{"check", c.name}}, c.threshold);
  generated_metric(e, meta);
  return e.str();
}

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

// --- Public functions ------------------------------------------------------

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

bool is_valid_zone(const std::string& zone) {
  if (zone.empty()) return false;
  try {
    date::locate_zone(zone);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string local_date(Time at, const std::string& zone) {
  const date::zoned_time<std::chrono::microseconds> zt{zone_of(zone), at};
  return date::format("%F", date::floor<date::days>(zt.get_local_time()));
}

std::vector<std::string> date_range(const std::string& until, int days) {
  // Parsed by hand: date::parse trips -Wmaybe-uninitialized inside date.h.
  static const std::regex iso(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  std::smatch m;
  date::year_month_day ymd{};
  if (std::regex_match(until, m, iso)) {
    ymd = date::year{std::stoi(m[1].str())} / std::stoi(m[2].str()) / std::stoi(m[3].str());
  }
  if (!ymd.ok()) {
    throw UsageError("invalid date \"" + until + "\": expected YYYY-MM-DD");
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

std::optional<double> EmailDay::open_rate() const {
  if (sent == 0) return std::nullopt;
  return static_cast<double>(opened) / static_cast<double>(sent);
}

std::optional<double> EmailVariant::open_rate() const {
  if (sent == 0) return std::nullopt;
  return static_cast<double>(opened) / static_cast<double>(sent);
}

std::string email_outcome(const UserInfo& user, const UserBrief& brief) {
  if (brief.emails.empty()) {
    if (brief.status == "failed") return "no email: brief generation failed";
    if (brief.status != "completed") return "no email yet: brief is " + brief.status;
    if (!user.has_preferences || !user.email_daily_brief) return "no email: user has not opted in to email";
    if (brief.is_empty) return "no email: empty brief";
    return "no email: none was created for this brief";
  }
  const UserEmail& m = brief.emails.back();
  if (m.status == "sent") {
    if (m.recipient_status == "bounced") return "sent, then bounced";
    if (m.opened_at) {
      return "sent, opened" + (m.open_count > 1 ? " " + std::to_string(m.open_count) + " times" : std::string());
    }
    return "sent, not opened yet";
  }
  if (m.status == "cancelled") return "cancelled, not sent";
  if (m.status == "failed") return m.recipient_status == "bounced" ? "failed: bounced" : "failed, not sent";
  if (m.status == "pending") return "waiting to be sent";
  if (m.status == "sending") return "being sent";
  return m.status;
}

bool HealthReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const HealthCheck& c) { return c.ok; });
}

HealthReport evaluate_health(const HealthInputs& in, const HealthThresholds& t) {
  HealthReport r;
  {
    HealthCheck c{"queue_age", true, in.oldest_due_seconds.value_or(0), t.max_queue_age_seconds, "seconds", ""};
    c.ok = in.oldest_due_seconds.value_or(0) <= t.max_queue_age_seconds;
    c.detail = in.due == 0 ? "no job is due"
                           : std::to_string(in.due) + " due job(s); the oldest has waited "
                                 + format_duration(in.oldest_due_seconds);
    r.checks.push_back(c);
  }
  {
    const long long finished = in.finished_ok + in.finished_failed;
    const double rate = finished == 0 ? 0.0
                                      : static_cast<double>(in.finished_failed) / static_cast<double>(finished);
    HealthCheck c{"failure_rate", rate <= t.max_failure_rate, rate, t.max_failure_rate, "ratio", ""};
    c.detail = std::to_string(in.finished_failed) + " of " + std::to_string(finished)
               + " finished job(s) failed in the last " + format_duration(t.failure_window_seconds);
    r.checks.push_back(c);
  }
  {
    HealthCheck c{"brief_age", true, in.last_brief_age_seconds, t.max_brief_age_seconds, "seconds", ""};
    if (in.active_users == 0) {
      c.detail = "no user has active brief preferences";
    } else if (!in.last_brief_age_seconds) {
      c.ok = false;
      c.detail = "no brief was ever generated";
    } else {
      c.ok = *in.last_brief_age_seconds <= t.max_brief_age_seconds;
      c.detail = "last brief generated " + format_duration(in.last_brief_age_seconds) + " ago";
    }
    r.checks.push_back(c);
  }
  {
    HealthCheck c{"expired_leases", in.expired_leases == 0, static_cast<double>(in.expired_leases), 0, "count", ""};
    c.detail = in.expired_leases == 0 ? "no running job has outlived its lease"
                                      : std::to_string(in.expired_leases)
                                            + " running job(s) past their lease: a worker died or hangs";
    r.checks.push_back(c);
  }
  return r;
}

std::string bar(double value, double max, int width) {
  if (value <= 0 || max <= 0 || width <= 0) return "";
  static const char* const eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const long long units = std::max(1LL, std::llround(value / max * width * 8));
  std::string out;
  for (long long i = 0; i < units / 8; ++i) out += "█";
  out += eighths[units % 8];
  return out;
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
