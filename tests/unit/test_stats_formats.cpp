// SPDX-License-Identifier: MIT
// briefos::stats machine formats (stats/json.cpp, csv.cpp, prometheus.cpp,
// html.cpp): JSON units and nulls, CSV quoting and columns, Prometheus
// names and label escaping, the HTML page's self-containment.
#include <briefos/stats/formats.hpp>
#include <briefos/stats/render.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace st = briefos::stats;
namespace sd = briefos::stats::detail;

namespace {

st::Meta meta_of(const std::string& report) {
  st::Meta meta;
  meta.report = report;
  meta.zone = "UTC";
  meta.days = 1;
  meta.from = "2025-03-10";
  meta.until = "2025-03-10";
  return meta;
}

st::EmailReport one_day() {
  st::EmailReport r;
  st::EmailDay d;
  d.date = "2025-03-10";
  d.total = 4;
  d.sent = 2;
  d.opened = 1;
  d.p95_send_seconds = 42.5;
  d.sum_send_seconds = 60;
  d.send_samples = 2;
  r.days = {d};
  r.total = d;
  r.total.date.clear();
  return r;
}

st::RenderOptions as(st::Format f) {
  st::RenderOptions o;
  o.format = f;
  return o;
}

}  // namespace

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats json: numbers stay numbers, ratios fractions, absent values null") {
  const auto j = nlohmann::json::parse(st::render(one_day(), meta_of("emails"), as(st::Format::json)));
  CHECK(j["report"] == "emails");
  CHECK(j["window"]["days"] == 1);
  CHECK(j["days"][0]["sent"] == 2);
  CHECK(j["days"][0]["open_rate"] == 0.5);
  CHECK(j["days"][0]["avg_send_seconds"].is_null());
  CHECK(j["total"]["date"] == "total");
  CHECK(j["generated_at"] == "1970-01-01T00:00:00+00:00");
}

TEST_CASE("stats csv: RFC 4180 quoting, the main table only, no total row") {
  CHECK(sd::csv_field("plain") == "plain");
  CHECK(sd::csv_field("a,b") == "\"a,b\"");
  CHECK(sd::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(sd::csv_field("two\nlines") == "\"two\nlines\"");
  const std::string csv = st::render(one_day(), meta_of("emails"), as(st::Format::csv));
  CHECK(csv == "date,total,sent,failed,pending,cancelled,opened,open_rate,avg_send_seconds,p95_send_seconds\n"
               "2025-03-10,4,2,0,0,0,1,0.5,,42.5\n");
}

TEST_CASE("stats prometheus: label values escaped, summaries with sum and count") {
  CHECK(sd::label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  const std::string prom = st::render(one_day(), meta_of("emails"), as(st::Format::prometheus));
  CHECK(prom.find("# TYPE briefos_brief_emails gauge\n") != std::string::npos);
  CHECK(prom.find("briefos_brief_emails{status=\"sent\"} 2\n") != std::string::npos);
  CHECK(prom.find("briefos_brief_email_open_ratio 0.5\n") != std::string::npos);
  CHECK(prom.find("briefos_brief_email_send_delay_seconds{quantile=\"0.95\"} 42.5\n") != std::string::npos);
  CHECK(prom.find("briefos_brief_email_send_delay_seconds_sum 60\n") != std::string::npos);
  CHECK(prom.find("briefos_brief_email_send_delay_seconds_count 2\n") != std::string::npos);
  CHECK(prom.find("briefos_stats_generated_timestamp_seconds{report=\"emails\"} 0\n") != std::string::npos);
  CHECK(prom.find("2025-03-10") == std::string::npos);  // dates are never labels
}

TEST_CASE("stats html: one page, no scripts, no external resources, a chart per series") {
  const std::string html = st::render(one_day(), meta_of("emails"), as(st::Format::html));
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("<figcaption>Emails sent per day</figcaption>") != std::string::npos);
  CHECK(html.find("<figcaption>Open rate per day</figcaption>") != std::string::npos);
  CHECK(html.find("<tfoot>") != std::string::npos);
}

TEST_SUITE_END();
