// SPDX-License-Identifier: MIT
#pragma once

// What a generate_daily_brief job asks for, read from its metadata: whose
// brief, for which local date, in which zone, and the scheduler's options
// (re-engagement, forced regeneration, held-back email). Pure: no database,
// no clock.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace briefos::generate {

struct JobSpec {
  std::string user_id;
  std::string brief_date;
  std::optional<std::string> timezone;
  bool is_reengagement = false;
  int days_since_last_login = 0;  // clamped to 0..36500
  bool force = false;
  bool hold_email = false;  // engagement backoff: store the brief, send nothing

  // The re-engagement prompt and subject apply (flagged, and away a day or more).
  bool reengage() const { return is_reengagement && days_since_last_login > 0; }
};

// Read `metadata` ({"userId", "briefDate", "timezone", "options": {...}});
// `job_user` (queue_jobs.user_id) stands in for a missing userId. Options
// of the wrong type are ignored. Throws PermanentError (the job can never
// succeed) when metadata is not an object, lacks userId or briefDate, has a
// non-string among them, or the date is not a calendar day.
JobSpec parse_spec(const nlohmann::json& metadata, const std::optional<std::string>& job_user);

}  // namespace briefos::generate
