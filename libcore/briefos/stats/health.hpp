// SPDX-License-Identifier: MIT
#pragma once

// The health checks of briefos-stats: the raw numbers the database gives,
// the thresholds the operator sets (--max-queue-age, --max-failure-rate,
// --failure-window, --max-brief-age, --max-invalid-zones,
// --max-replica-lag), and
// evaluate_health(), the one place
// the policy (which numbers pass) lives, so it is tested without a
// database. Pure.

#include <optional>
#include <string>
#include <vector>

namespace briefos::stats {

// The raw numbers health thresholds are compared with.
struct HealthInputs {
  std::optional<double> oldest_due_seconds;  // nullopt: nothing due
  long long due = 0;
  long long finished_ok = 0;       // completed in the failure window
  long long finished_failed = 0;   // failed in the failure window
  std::optional<double> last_brief_age_seconds;  // nullopt: never
  long long active_users = 0;      // active brief preferences
  long long expired_leases = 0;
  long long invalid_zone_preferences = 0;  // active preferences in a zone the tz database lacks
  std::vector<std::string> invalid_zones;  // those zones, in order
  bool standby = false;                    // the reports read a hot standby
  std::optional<double> replica_lag_seconds;  // on a standby; nullopt: nothing replayed yet
};

struct HealthThresholds {
  double max_queue_age_seconds = 15 * 60;
  double max_failure_rate = 0.1;
  double failure_window_seconds = 24 * 3600;
  double max_brief_age_seconds = 25 * 3600;
  long long max_invalid_zones = 0;  // active preferences with an unknown zone
  double max_replica_lag_seconds = 5 * 60;
};

struct HealthCheck {
  std::string name;            // queue_age, failure_rate, brief_age, expired_leases, invalid_zones,
                               // replica_lag (on a standby only)
  bool ok = true;
  std::optional<double> value;
  double threshold = 0;
  std::string unit;            // seconds, ratio, count
  std::string detail;          // one sentence for people
};

struct HealthReport {
  std::vector<HealthCheck> checks;
  bool ok() const;
};

// Apply `thresholds` to `inputs` (pure; the policy lives here).
HealthReport evaluate_health(const HealthInputs& inputs, const HealthThresholds& thresholds);

}  // namespace briefos::stats
