// SPDX-License-Identifier: MIT
// briefos::stats table format (stats/table.cpp): the bar column, aligned
// columns with a total row, and the user report's per-brief blocks.
#include <briefos/stats/render.hpp>

#include <doctest/doctest.h>

#include <sstream>

namespace st = briefos::stats;

namespace {

st::Meta meta_of(const std::string& report) {
  st::Meta meta;
  meta.report = report;
  meta.zone = "UTC";
  meta.days = 2;
  meta.from = "2025-03-10";
  meta.until = "2025-03-11";
  return meta;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats::bar scales to the largest value") {
  CHECK(st::bar(0, 10, 20) == "");
  CHECK(st::bar(10, 10, 4) == "████");
  CHECK(st::bar(5, 10, 4) == "██");
  CHECK(st::bar(1, 80, 1) == "▏");  // never invisible when non-zero
}

TEST_CASE("stats table: header line, rules around the total, bars on request") {
  st::BriefReport r;
  st::BriefDay a;
  a.date = "2025-03-10";
  a.total = 10;
  a.generated = 8;
  st::BriefDay b;
  b.date = "2025-03-11";
  b.total = 4;
  b.generated = 4;
  r.days = {a, b};
  r.total.total = 14;
  r.total.generated = 12;
  st::RenderOptions o;
  const auto lines = lines_of(st::render(r, meta_of("briefs"), o));
  REQUIRE(lines.size() == 8);
  CHECK(lines[0] == "briefs: 2025-03-10 to 2025-03-11 (2 days), UTC, as of 1970-01-01 00:00:00 UTC");
  CHECK(lines[2].rfind("brief date", 0) == 0);
  CHECK(lines[3].find_first_not_of('-') == std::string::npos);
  CHECK(lines[4].rfind("2025-03-10", 0) == 0);
  CHECK(lines[6] == lines[3]);  // a rule above the total
  CHECK(lines[7].rfind("total", 0) == 0);
  for (const auto& line : lines) CHECK((line.empty() || line.back() != ' '));
  o.chart = true;
  o.chart_width = 4;
  const std::string charted = st::render(r, meta_of("briefs"), o);
  CHECK(charted.find("generated per day") != std::string::npos);
  CHECK(charted.find("████") != std::string::npos);  // the largest day fills the width
}

TEST_CASE("stats table: the user report is one block per brief") {
  st::UserReport u;
  u.user.id = "u1";
  u.user.email = "a@example.com";
  st::UserBrief b;
  b.id = "b1";
  b.brief_date = "2025-03-10";
  b.status = "completed";
  b.project_count = 1;
  st::UserEmail m;
  m.id = "e1";
  m.status = "sent";
  m.recipient = "a\x1b[31m@example.com";
  m.recipient_status = "sent";
  b.emails.push_back(m);
  u.briefs.push_back(b);
  const std::string text = st::render(u, meta_of("user"), st::RenderOptions{});
  CHECK(text.find("  2025-03-10  completed, 1 project\n    brief b1\n") != std::string::npos);
  CHECK(text.find("    email e1: sent, not opened yet\n") != std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);  // control characters never reach a terminal
  CHECK(text.find("(no jobs in the window)") != std::string::npos);
}

TEST_SUITE_END();
