// SPDX-License-Identifier: MIT
//
// The JSON format: one document per report; numbers stay numbers,
// durations are seconds, ratios fractions in [0, 1], times ISO 8601 with
// the zone's offset, absent values null. Keys keep the order of the
// columns.
#include "briefos/stats/formats.hpp"
#include "briefos/util/json_line.hpp"

#include <nlohmann/json.hpp>

namespace briefos::stats::detail {

namespace {

using Json = nlohmann::ordered_json;

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
    case Kind::flag:
      if (std::holds_alternative<std::string>(v)) return nullptr;  // why there is no answer
      return std::get<long long>(v) != 0;
  }
  return nullptr;
}

Json row_object(const Section& s, const std::vector<Value>& row, const std::string& zone) {
  Json o = Json::object();
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    o[s.columns[i].id] = to_json(row[i], s.columns[i].kind, zone);
  }
  return o;
}

}  // namespace

std::string render_json(const Document& doc) {
  const Meta& m = doc.meta;
  Json j = Json::object();
  j["report"] = m.report;
  j["generated_at"] = format_time_iso(m.generated_at, m.zone);
  j["zone"] = m.zone;
  if (!m.zone_source.empty()) j["zone_source"] = m.zone_source;
  if (m.days > 0) j["window"] = Json{{"days", m.days}, {"from", m.from}, {"until", m.until}};
  if (m.days > 0 && !m.ahead.empty()) j["window"]["ahead"] = m.ahead;
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
  return util::json_document(j);
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
  return util::json_document(j);
}

}  // namespace briefos::stats::detail
