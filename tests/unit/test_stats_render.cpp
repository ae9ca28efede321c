// SPDX-License-Identifier: MIT
// briefos::stats rendering (stats/render.hpp): format names, the dispatch
// of each report to its format, escaping of user text in every format, and
// the formats a report does not have.
#include <briefos/error.hpp>
#include <briefos/stats/render.hpp>

#include <doctest/doctest.h>

#include <chrono>

namespace st = briefos::stats;

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats::parse_format and to_string round-trip") {
  for (const st::Format f : {st::Format::table, st::Format::json, st::Format::csv, st::Format::prometheus,
                             st::Format::html}) {
    CHECK(st::parse_format(st::to_string(f)) == f);
  }
  CHECK_FALSE(st::parse_format("yaml").has_value());
  CHECK_FALSE(st::parse_format("JSON").has_value());
}

TEST_CASE("stats render escapes user text in html csv and prometheus") {
  st::Meta meta;
  meta.report = "queue";
  meta.zone = "UTC";
  st::QueueReport q;
  q.types.push_back({"generate_daily_brief", 1, 0, 0, 0, 1, 0, 1, 0, 1, 30.0});
  q.errors.push_back({"generate_daily_brief", "<b>\"bad\", very\nbad</b>", 1, std::nullopt});
  st::RenderOptions o;
  o.format = st::Format::html;
  const std::string html = st::render(q, meta, o);
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;&quot;bad&quot;") != std::string::npos);
  o.format = st::Format::table;
  const std::string table = st::render(q, meta, o);
  CHECK(table.find("very\nbad") == std::string::npos);  // one line per error in tables
  o.format = st::Format::prometheus;
  const std::string prom = st::render(q, meta, o);
  CHECK(prom.find("bad") == std::string::npos);  // error messages are never labels
  st::UserReport u;
  u.user.id = "x";
  u.user.email = "a,b@example.com";
  st::UserBrief b;
  b.id = "b1";
  b.brief_date = "2025-03-10";
  b.status = "failed";
  b.error = "quote \" and, comma";
  u.briefs.push_back(b);
  meta.report = "user";
  o.format = st::Format::csv;
  const std::string csv = st::render(u, meta, o);
  CHECK(csv.find("\"quote \"\" and, comma\"") != std::string::npos);
}

TEST_CASE("stats render: the user report has no prometheus form; health has all") {
  st::Meta meta;
  meta.report = "user";
  meta.zone = "UTC";
  st::RenderOptions o;
  o.format = st::Format::prometheus;
  CHECK_THROWS_AS(st::render(st::UserReport{}, meta, o), briefos::UsageError);
  st::HealthReport h;
  h.checks.push_back({"queue_age", false, 1000.0, 900, "seconds", "late"});
  meta.report = "health";
  for (const st::Format f : {st::Format::table, st::Format::json, st::Format::csv, st::Format::prometheus,
                             st::Format::html}) {
    o.format = f;
    const std::string text = st::render(h, meta, o);
    CHECK(!text.empty());
    CHECK(text.back() == '\n');
  }
  o.format = st::Format::table;
  CHECK(st::render(h, meta, o).find("some checks FAILED") != std::string::npos);
}

TEST_SUITE_END();
