// SPDX-License-Identifier: MIT
// generate::store_input and generate::job_result: what a built brief
// becomes (the rows to store, the email hand-off rule, the job's result).
#include <briefos/app/generate/result.hpp>

#include <doctest/doctest.h>

namespace gen = briefos::generate;
using nlohmann::json;

namespace {

gen::Made made(bool opted_in, bool empty) {
  gen::Made m;
  m.spec.user_id = "aaaaaaaa-0000-4000-8000-000000000001";
  m.spec.brief_date = "2025-10-01";
  m.source.timezone = "Europe/Berlin";
  m.source.user.user.id = m.spec.user_id;
  m.source.user.user.email = "alice@example.com";
  m.source.user.user.name = "Alice";
  m.source.user.email_daily_brief = opted_in;
  m.source.user.preferences_active = opted_in;
  m.built.is_empty = empty;
  m.built.succeeded = empty ? 0 : 2;
  m.built.skipped = 1;
  m.built.failures.push_back({"p1", "Website", "fault injected"});
  m.load_ms = 1.4;
  m.build_ms = 2.6;
  return m;
}

briefos::queue::Job job() {
  briefos::queue::Job j;
  j.id = 42;
  return j;
}

const gen::EmailSettings sender{"briefs@example.com", "briefos", false};

}  // namespace

TEST_SUITE_BEGIN("generate_result");

TEST_CASE("generate_result: an opted-in user's brief hands on an email") {
  const gen::Made m = made(true, false);
  const auto in = gen::store_input(job(), m, {}, sender);
  CHECK(in.user_id == m.spec.user_id);
  CHECK(in.timezone == "Europe/Berlin");
  CHECK(in.built == &m.built);
  CHECK(in.llm_status == "skipped");
  CHECK(in.metadata["queue_job_id"] == 42);
  CHECK(in.metadata["failed_projects"][0]["name"] == "Website");
  CHECK(in.metadata["email_subject"].is_null());
  REQUIRE(in.email);
  CHECK(in.email->to_email == "alice@example.com");
  CHECK(in.email->from_email == "briefs@example.com");
  CHECK(in.email->subject == briefos::brief::daily_subject("2025-10-01"));
  CHECK_FALSE(in.email->is_reengagement);
}

TEST_CASE("generate_result: no email when not opted in, held back, or empty") {
  CHECK_FALSE(gen::store_input(job(), made(false, false), {}, sender).email);
  gen::Made held = made(true, false);
  held.spec.hold_email = true;
  CHECK_FALSE(gen::store_input(job(), held, {}, sender).email);
  CHECK(gen::store_input(job(), held, {}, sender).metadata["email_held_back"] == true);
  CHECK_FALSE(gen::store_input(job(), made(true, true), {}, sender).email);
  const gen::EmailSettings empty_too{"briefs@example.com", "briefos", true};
  CHECK(gen::store_input(job(), made(true, true), {}, empty_too).email);
}

TEST_CASE("generate_result: a re-engagement brief gets its own subject") {
  gen::Made m = made(true, false);
  m.spec.is_reengagement = true;
  m.spec.days_since_last_login = 12;
  const auto in = gen::store_input(job(), m, {}, sender);
  REQUIRE(in.email);
  CHECK(in.email->is_reengagement);
  CHECK(in.email->subject == briefos::brief::reengagement_subject(12));
  CHECK(in.metadata["email_subject"] == in.email->subject);
}

TEST_CASE("generate_result: the job's result before storing") {
  gen::Made m = made(true, false);
  m.llm_status = gen::LlmStatus::failed;
  m.llm_error = "timeout";
  const json r = gen::job_result(m, 7.5);
  CHECK(r["projects"] == json{{"succeeded", 2}, {"failed", 1}, {"skipped", 1}});
  CHECK(r["llm"] == "failed");
  CHECK(r["llm_error"] == "timeout");
  CHECK(r["email_action"].is_null());
  CHECK(r["timing_ms"]["load"] == 1);
  CHECK(r["timing_ms"]["build"] == 3);
  CHECK(r["timing_ms"]["total"] == 7.5);
  CHECK_FALSE(r.contains("brief_id"));  // the store's to add
  m.spec.hold_email = true;
  CHECK(gen::job_result(m, 0)["email_action"] == "held_back");
}

TEST_SUITE_END();
