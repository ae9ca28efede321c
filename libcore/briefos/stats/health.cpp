// SPDX-License-Identifier: MIT
//
// The health policy of briefos-stats (see health.hpp). Every threshold is
// inclusive (a value equal to its threshold passes); the failure rate is
// failed / (completed + failed) over the failure window, 0 when no job
// finished; an old or missing brief fails only while some user has active
// brief preferences; any expired lease fails; more active preferences in
// a zone the system tz database does not know (the scheduler's own test,
// util::zone_exists) than --max-invalid-zones (default 0) fails, because
// the scheduler skips those users every day until the zone is fixed.
// On a hot standby (and only there) a sixth check, replica_lag, fails when
// the standby's data is older than --max-replica-lag: every other figure is
// that much out of date. A standby that has replayed nothing since it
// started has no lag to show and passes.
#include "briefos/stats/health.hpp"

#include "briefos/stats/time.hpp"

#include <algorithm>

namespace briefos::stats {

bool HealthReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const HealthCheck& c) { return c.ok; });
}

HealthReport evaluate_health(const HealthInputs& in, const HealthThresholds& t) {
  HealthReport r;
  {
    HealthCheck c{"queue_age", true, in.oldest_due_seconds.value_or(0), t.max_queue_age_seconds, "seconds", ""};
    c.ok = in.oldest_due_seconds.value_or(0) <= t.max_queue_age_seconds;
    c.detail = in.due == 0 ? "no job is due"
                           : std::to_string(in.due) + " due job(s); the oldest has waited "
                                 + format_duration(in.oldest_due_seconds);
    r.checks.push_back(c);
  }
  {
    const long long finished = in.finished_ok + in.finished_failed;
    const double rate = finished == 0 ? 0.0
                                      : static_cast<double>(in.finished_failed) / static_cast<double>(finished);
    HealthCheck c{"failure_rate", rate <= t.max_failure_rate, rate, t.max_failure_rate, "ratio", ""};
    c.detail = std::to_string(in.finished_failed) + " of " + std::to_string(finished)
               + " finished job(s) failed in the last " + format_duration(t.failure_window_seconds);
    r.checks.push_back(c);
  }
  {
    HealthCheck c{"brief_age", true, in.last_brief_age_seconds, t.max_brief_age_seconds, "seconds", ""};
    if (in.active_users == 0) {
      c.detail = "no user has active brief preferences";
    } else if (!in.last_brief_age_seconds) {
      c.ok = false;
      c.detail = "no brief was ever generated";
    } else {
      c.ok = *in.last_brief_age_seconds <= t.max_brief_age_seconds;
      c.detail = "last brief generated " + format_duration(in.last_brief_age_seconds) + " ago";
    }
    r.checks.push_back(c);
  }
  {
    HealthCheck c{"expired_leases", in.expired_leases == 0, static_cast<double>(in.expired_leases), 0, "count", ""};
    c.detail = in.expired_leases == 0 ? "no running job has outlived its lease"
                                      : std::to_string(in.expired_leases)
                                            + " running job(s) past their lease: a worker died or hangs";
    r.checks.push_back(c);
  }
  {
    const auto n = in.invalid_zone_preferences;
    HealthCheck c{"invalid_zones", n <= t.max_invalid_zones, static_cast<double>(n),
                  static_cast<double>(t.max_invalid_zones), "count", ""};
    if (n == 0) {
      c.detail = "every active brief preference has a zone the tz database knows";
    } else {
      c.detail = std::to_string(n) + " active brief preference(s) in a zone the tz database does not know (";
      const std::size_t shown = std::min<std::size_t>(in.invalid_zones.size(), 3);
      for (std::size_t i = 0; i < shown; ++i) c.detail += (i == 0 ? "\"" : ", \"") + in.invalid_zones[i] + "\"";
      if (in.invalid_zones.size() > shown) c.detail += ", ...";
      c.detail += "): briefos-schedule skips those users";
    }
    r.checks.push_back(c);
  }
  if (in.standby) {
    HealthCheck c{"replica_lag", true, in.replica_lag_seconds, t.max_replica_lag_seconds, "seconds", ""};
    if (!in.replica_lag_seconds) {
      c.detail = "a standby that has replayed no transaction since it started";
    } else {
      c.ok = *in.replica_lag_seconds <= t.max_replica_lag_seconds;
      c.detail = *in.replica_lag_seconds == 0 ? "a standby, caught up with its primary"
                                               : "a standby, " + format_duration(in.replica_lag_seconds)
                                                     + " behind its primary";
    }
    r.checks.push_back(c);
  }
  return r;
}

}  // namespace briefos::stats
