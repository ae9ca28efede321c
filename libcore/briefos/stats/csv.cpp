// SPDX-License-Identifier: MIT
//
// The CSV format: the report's main table only (RFC 4180 quoting), in the
// machine units of JSON, no total row, so it loads into a spreadsheet as
// is.
#include "briefos/stats/formats.hpp"

#include <sstream>

namespace briefos::stats::detail {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
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

std::string health_csv(const HealthReport& r) {
  std::ostringstream out;
  out << "check,status,value,threshold,unit,detail\n";
  for (const HealthCheck& c : r.checks) {
    out << c.name << "," << (c.ok ? "pass" : "fail") << "," << (c.value ? number(*c.value) : "") << ","
        << number(c.threshold) << "," << c.unit << "," << csv_field(c.detail) << "\n";
  }
  return out.str();
}

}  // namespace briefos::stats::detail
