// SPDX-License-Identifier: MIT
// generate::parse_spec: the metadata of a generate_daily_brief job.
#include <briefos/app/generate/job_spec.hpp>
#include <briefos/error.hpp>

#include <doctest/doctest.h>

using briefos::generate::JobSpec;
using briefos::generate::parse_spec;
using nlohmann::json;

namespace {
const std::string user = "aaaaaaaa-0000-4000-8000-000000000001";
}

TEST_SUITE_BEGIN("job_spec");

TEST_CASE("job_spec: a scheduler job's metadata") {
  const json md = {{"userId", user},
                   {"briefDate", "2025-10-01"},
                   {"timezone", "Europe/Berlin"},
                   {"options",
                    {{"isReengagement", true},
                     {"daysSinceLastLogin", 7},
                     {"forceRegenerate", true},
                     {"holdEmail", true}}}};
  const JobSpec s = parse_spec(md, std::nullopt);
  CHECK(s.user_id == user);
  CHECK(s.brief_date == "2025-10-01");
  REQUIRE(s.timezone);
  CHECK(*s.timezone == "Europe/Berlin");
  CHECK(s.is_reengagement);
  CHECK(s.days_since_last_login == 7);
  CHECK(s.force);
  CHECK(s.hold_email);
  CHECK(s.reengage());
}

TEST_CASE("job_spec: defaults when options are missing or of the wrong type") {
  SUBCASE("no options") {
    const JobSpec s = parse_spec({{"userId", user}, {"briefDate", "2025-10-01"}}, std::nullopt);
    CHECK_FALSE(s.timezone);
    CHECK_FALSE(s.is_reengagement);
    CHECK(s.days_since_last_login == 0);
    CHECK_FALSE(s.force);
    CHECK_FALSE(s.hold_email);
    CHECK_FALSE(s.reengage());
  }
  SUBCASE("wrong types are ignored") {
    const JobSpec s = parse_spec({{"userId", user},
                                  {"briefDate", "2025-10-01"},
                                  {"timezone", nullptr},
                                  {"options",
                                   {{"isReengagement", "yes"},
                                    {"daysSinceLastLogin", "7"},
                                    {"forceRegenerate", 1},
                                    {"holdEmail", nullptr}}}},
                                 std::nullopt);
    CHECK_FALSE(s.timezone);
    CHECK_FALSE(s.is_reengagement);
    CHECK(s.days_since_last_login == 0);
    CHECK_FALSE(s.force);
    CHECK_FALSE(s.hold_email);
  }
  SUBCASE("re-engagement needs a day away") {
    const JobSpec s = parse_spec(
        {{"userId", user}, {"briefDate", "2025-10-01"}, {"options", {{"isReengagement", true}}}}, std::nullopt);
    CHECK(s.is_reengagement);
    CHECK_FALSE(s.reengage());
  }
}

TEST_CASE("job_spec: daysSinceLastLogin is clamped") {
  const auto days = [](json v) {
    return parse_spec({{"userId", user}, {"briefDate", "2025-10-01"}, {"options", {{"daysSinceLastLogin", v}}}},
                      std::nullopt)
        .days_since_last_login;
  };
  CHECK(days(1e300) == 36500);
  CHECK(days(-5) == 0);
  CHECK(days(2.9) == 2);
}

TEST_CASE("job_spec: the job's user stands in for a missing userId") {
  CHECK(parse_spec({{"briefDate", "2025-10-01"}}, user).user_id == user);
  CHECK(parse_spec({{"userId", "other"}, {"briefDate", "2025-10-01"}}, user).user_id == "other");
}

TEST_CASE("job_spec: bad metadata fails for good") {
  CHECK_THROWS_WITH_AS(parse_spec(json::array(), user), "job metadata is not a JSON object",
                       briefos::PermanentError);
  CHECK_THROWS_WITH_AS(parse_spec({{"briefDate", "2025-10-01"}}, std::nullopt), "job metadata lacks \"userId\"",
                       briefos::PermanentError);
  CHECK_THROWS_WITH_AS(parse_spec({{"userId", 42}, {"briefDate", "2025-10-01"}}, std::nullopt),
                       "job metadata \"userId\" is not a string", briefos::PermanentError);
  CHECK_THROWS_WITH_AS(parse_spec({{"userId", user}}, std::nullopt), "job metadata lacks \"briefDate\"",
                       briefos::PermanentError);
  CHECK_THROWS_WITH_AS(parse_spec({{"userId", user}, {"briefDate", "2025-02-30"}}, std::nullopt),
                       doctest::Contains("job metadata: invalid date"), briefos::PermanentError);
}

TEST_SUITE_END();
