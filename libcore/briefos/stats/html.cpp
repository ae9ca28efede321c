// SPDX-License-Identifier: MIT
//
// The HTML format: one self-contained page (inline CSS and SVG, no
// scripts, no external resources) with a bar chart per per-day series and
// the tables. All text is HTML-escaped with the renderer's escaper (one
// definition of what HTML-safe means in the project).
#include "briefos/stats/formats.hpp"

#include "briefos/render.hpp"

#include <algorithm>
#include <sstream>

namespace briefos::stats::detail {

namespace {

using render::html_escape;

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

}  // namespace

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

}  // namespace briefos::stats::detail
