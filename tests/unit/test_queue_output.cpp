// SPDX-License-Identifier: MIT
// briefos-queue's output (app/queue/output): one line per changed job in
// each format, the list through briefos-stats's writers, control
// characters in error texts kept off the terminal.
#include <briefos/app/queue/output.hpp>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace aq = briefos::app::queue;
namespace qa = briefos::db::queue_admin;
using briefos::stats::Format;

namespace {

aq::Request request(aq::Command c, Format f, bool dry_run = false) {
  aq::Request r;
  r.command = c;
  r.format = f;
  r.zone = "UTC";
  r.dry_run = dry_run;
  return r;
}

qa::Outcome outcome() {
  qa::Outcome o;
  o.changed.push_back({7, "generate_brief_email", "failed", "u-1", "e-1", true});
  o.changed.push_back({9, "generate_daily_brief", "cancelled", std::nullopt, std::nullopt, false});
  o.refused.push_back({8, "job 8: the recipient x@example.org bounced; not sending to it again"});
  return o;
}

}  // namespace

TEST_SUITE_BEGIN("queue_output");

TEST_CASE("queue output: one line per changed job, refusals not among them") {
  CHECK(aq::change_lines(outcome(), request(aq::Command::retry, Format::table))
        == "retried job 7 (generate_brief_email, was failed; email e-1 pending again)\n"
           "retried job 9 (generate_daily_brief, was cancelled)\n");
  CHECK(aq::change_lines(outcome(), request(aq::Command::cancel, Format::table, true))
            .rfind("would cancel job 7 (generate_brief_email, was failed", 0)
        == 0);
  const std::string json = aq::change_lines(outcome(), request(aq::Command::retry, Format::json, true));
  const auto first = nlohmann::json::parse(json.substr(0, json.find('\n')));
  CHECK(first["action"] == "retry");
  CHECK(first["dry_run"] == true);
  CHECK(first["id"] == 7);
  CHECK(first["to_status"] == "pending");
  CHECK(first["email_reset"] == true);
  CHECK(aq::change_lines(outcome(), request(aq::Command::cancel, Format::csv))
        == "action,dry_run,id,job_type,from_status,to_status,user_id,email_id,email_reset\n"
           "cancel,false,7,generate_brief_email,failed,cancelled,u-1,e-1,true\n"
           "cancel,false,9,generate_daily_brief,cancelled,cancelled,,,false\n");
  CHECK(aq::change_lines(qa::Outcome{}, request(aq::Command::retry, Format::csv)).empty());
}

TEST_CASE("queue output: the list in the stats formats, error text printable in tables") {
  qa::JobRow j;
  j.id = 12;
  j.type = "other";
  j.status = "failed";
  j.attempts = 3;
  j.max_attempts = 3;
  j.error = std::string("boom\x1b[31m\nsecond line");
  const aq::Time now{};
  const std::string table = aq::render_list({j}, request(aq::Command::list, Format::table), now);
  CHECK(table.find("3/3") != std::string::npos);
  CHECK(table.find("boom?[31m") != std::string::npos);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find("second line") == std::string::npos);
  const auto doc = nlohmann::json::parse(aq::render_list({j}, request(aq::Command::list, Format::json), now));
  CHECK(doc["report"] == "jobs");
  CHECK(doc["jobs"][0]["error"] == "boom\x1b[31m\nsecond line");
  CHECK(doc["jobs"][0]["completed_at"].is_null());
  CHECK(aq::render_list({}, request(aq::Command::list, Format::table), now).find("(no jobs match)")
        != std::string::npos);
  CHECK(aq::render_list({}, request(aq::Command::list, Format::csv), now).rfind("id,job_type,status,user_id", 0) == 0);
}

TEST_SUITE_END();
