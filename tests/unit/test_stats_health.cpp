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
  in.invalid_zone_preferences = 1;
  in.invalid_zones = {"Mars/Olympus_Mons"};
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
  REQUIRE(r.checks.size() == 5);
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
  CHECK(r.checks[4].name == "invalid_zones");
  CHECK(r.checks[4].ok);
  CHECK(r.checks[4].unit == "count");
  CHECK(r.checks[4].detail == "every active brief preference has a zone the tz database knows");
  CHECK_FALSE(r.ok());
}

TEST_CASE("stats::evaluate_health fails on more invalid zones than allowed") {
  st::HealthInputs in;
  in.invalid_zone_preferences = 5;
  in.invalid_zones = {"A/B", "Mars/Olympus_Mons", "Nowhere", "Zzz"};
  st::HealthThresholds t;
  const st::HealthCheck failing = st::evaluate_health(in, t).checks.at(4);
  CHECK_FALSE(failing.ok);
  CHECK(failing.value.value() == doctest::Approx(5));
  CHECK(failing.threshold == doctest::Approx(0));
  CHECK(failing.detail
        == "5 active brief preference(s) in a zone the tz database does not know "
           "(\"A/B\", \"Mars/Olympus_Mons\", \"Nowhere\", ...): briefos-schedule skips those users");
  t.max_invalid_zones = 5;  // inclusive, as every threshold
  CHECK(st::evaluate_health(in, t).checks.at(4).ok);
}

TEST_CASE("stats::evaluate_health checks the replica lag on a standby only") {
  st::HealthInputs in;
  in.replica_lag_seconds = 3600;
  CHECK(st::evaluate_health(in, {}).checks.size() == 5);  // a primary: no lag to check
  in.standby = true;
  st::HealthThresholds t;
  t.max_replica_lag_seconds = 60;
  st::HealthReport r = st::evaluate_health(in, t);
  REQUIRE(r.checks.size() == 6);
  const st::HealthCheck& lag = r.checks.at(5);
  CHECK(lag.name == "replica_lag");
  CHECK_FALSE(lag.ok);
  CHECK_FALSE(r.ok());
  CHECK(lag.value.value() == doctest::Approx(3600));
  CHECK(lag.threshold == doctest::Approx(60));
  CHECK(lag.unit == "seconds");
  in.replica_lag_seconds = 60;  // inclusive
  CHECK(st::evaluate_health(in, t).checks.at(5).ok);
  in.replica_lag_seconds = 0;
  CHECK(st::evaluate_health(in, t).checks.at(5).detail == "a standby, caught up with its primary");
  in.replica_lag_seconds = std::nullopt;
  CHECK(st::evaluate_health(in, t).checks.at(5).ok);
}

TEST_SUITE_END();
