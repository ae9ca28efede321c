// SPDX-License-Identifier: MIT
// briefos::stats health policy (stats/health.hpp): thresholds, the failure
// rate and the check details.
#include <briefos/stats/health.hpp>

#include <doctest/doctest.h>

namespace st = briefos::stats;

TEST_SUITE_BEGIN("stats");

TEST_CASE("stats::evaluate_health thresholds are inclusive") {
  st::HealthInputs in;
  in.oldest_due_seconds = 900;
  in.due = 1;
  in.finished_ok = 9;
  in.finished_failed = 1;
  in.last_brief_age_seconds = 25 * 3600;
  in.active_users = 1;
  const st::HealthReport at_limit = st::evaluate_health(in, {});
  CHECK(at_limit.ok());
  in.oldest_due_seconds = 901;
  in.finished_failed = 2;
  in.last_brief_age_seconds = std::nullopt;
  in.expired_leases = 3;
  const st::HealthReport over = st::evaluate_health(in, {});
  CHECK_FALSE(over.ok());
  for (const auto& c : over.checks) CHECK_FALSE(c.ok);
  CHECK(over.checks[2].detail == "no brief was ever generated");
  // Nobody to brief: an old or missing brief is fine.
  in.active_users = 0;
  CHECK(st::evaluate_health(in, {}).checks[2].ok);
  // No finished job: rate 0.
  in.finished_ok = 0;
  in.finished_failed = 0;
  CHECK(st::evaluate_health(in, {}).checks[1].ok);
}

TEST_CASE("stats::evaluate_health names its checks and reports values") {
  st::HealthInputs in;
  in.finished_ok = 3;
  in.finished_failed = 1;
  in.active_users = 2;
  in.last_brief_age_seconds = 600;
  st::HealthThresholds t;
  t.max_failure_rate = 0.2;
  const st::HealthReport r = st::evaluate_health(in, t);
  REQUIRE(r.checks.size() == 4);
  CHECK(r.checks[0].name == "queue_age");
  CHECK(r.checks[0].ok);
  CHECK(r.checks[0].detail == "no job is due");
  CHECK(r.checks[1].name == "failure_rate");
  CHECK(r.checks[1].value.value() == doctest::Approx(0.25));
  CHECK_FALSE(r.checks[1].ok);
  CHECK(r.checks[1].unit == "ratio");
  CHECK(r.checks[1].detail == "1 of 4 finished job(s) failed in the last 1d 00h");
  CHECK(r.checks[2].name == "brief_age");
  CHECK(r.checks[2].detail == "last brief generated 10m 00s ago");
  CHECK(r.checks[3].name == "expired_leases");
  CHECK(r.checks[3].ok);
  CHECK_FALSE(r.ok());
}

TEST_SUITE_END();
