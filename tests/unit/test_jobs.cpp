// SPDX-License-Identifier: MIT
// jobs: the brief and email jobs' keys, priorities and attempts.
#include <briefos/jobs.hpp>

#include <doctest/doctest.h>

namespace jobs = briefos::jobs;

TEST_CASE("jobs: a brief job is keyed by user and local date") {
  const auto j = jobs::brief_job("u1", "2026-12-06", "Europe/Paris");
  CHECK(j.type == "generate_daily_brief");
  CHECK(j.dedup_key == "brief-u1-2026-12-06");
  CHECK(j.priority == 10);
  CHECK(j.max_attempts == 3);
  CHECK(j.metadata.at("briefDate") == "2026-12-06");
  CHECK(j.metadata.at("timezone") == "Europe/Paris");
  CHECK(j.metadata.at("options").is_object());
  CHECK(jobs::brief_key("u1", "2026-12-06")
        == std::string(jobs::brief_key_prefix) + "u1" + jobs::brief_key_separator + "2026-12-06");
}

TEST_CASE("jobs: a forced brief key never equals the active job's key") {
  CHECK(jobs::forced_brief_key("u1", "2026-12-06", 42) == "brief-u1-2026-12-06-force-42");
  CHECK(jobs::forced_brief_key("u1", "2026-12-06", 42) != jobs::brief_key("u1", "2026-12-06"));
}

TEST_CASE("jobs: an email job runs before brief jobs and is keyed by email") {
  const auto j = jobs::email_job("e1", "u1", "b1");
  CHECK(j.type == "generate_brief_email");
  CHECK(j.dedup_key == "email-e1");
  CHECK(j.priority < jobs::brief_priority);
  CHECK(j.metadata.at("emailId") == "e1");
  CHECK(j.metadata.at("briefId") == "b1");
  CHECK(j.user_id == "u1");
}
