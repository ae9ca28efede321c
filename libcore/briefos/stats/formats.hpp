// SPDX-License-Identifier: MIT
#pragma once

// For render.cpp only: the format renderers. Each takes a document (or,
// where a report has a form of its own, the report) and returns the text,
// ending with a newline. One file per format: table.cpp, json.cpp,
// csv.cpp, html.cpp, prometheus.cpp.

#include "briefos/stats/document.hpp"
#include "briefos/stats/health.hpp"
#include "briefos/stats/render.hpp"
#include "briefos/stats/reports.hpp"

#include <string>

namespace briefos::stats::detail {

// table.cpp
std::string render_table(const Document& doc, const RenderOptions& options);
std::string user_table(const UserReport& r, const Meta& meta);

// json.cpp
std::string render_json(const Document& doc);
std::string health_json(const HealthReport& r, const Meta& meta);

// csv.cpp
std::string render_csv(const Document& doc);
std::string health_csv(const HealthReport& r);
// `s` as one RFC 4180 field (quoted when it holds a comma, quote or newline).
std::string csv_field(const std::string& s);

// html.cpp
std::string render_html(const Document& doc);

// prometheus.cpp: written per report, not from the document (see render.cpp).
std::string email_prometheus(const EmailReport& r, const Meta& meta);
std::string brief_prometheus(const BriefReport& r, const Meta& meta);
std::string queue_prometheus(const QueueReport& r, const Meta& meta);
std::string health_prometheus(const HealthReport& r, const Meta& meta);
// A Prometheus label value with \, " and newline escaped.
std::string label_value(const std::string& v);

}  // namespace briefos::stats::detail
