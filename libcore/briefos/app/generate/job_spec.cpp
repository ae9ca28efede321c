// SPDX-License-Identifier: MIT
// Job spec parsing: see job_spec.hpp. Bad metadata is a permanent failure
// (retrying cannot change it); options of the wrong type are ignored, as
// BuildOS's scheduler may leave them out.
#include "briefos/app/generate/job_spec.hpp"

#include "briefos/brief.hpp"
#include "briefos/error.hpp"

#include <algorithm>

namespace briefos::generate {

using nlohmann::json;

JobSpec parse_spec(const json& md, const std::optional<std::string>& job_user) {
  if (!md.is_object()) throw PermanentError("job metadata is not a JSON object");
  JobSpec s;
  const auto str = [&](const char* key) -> std::optional<std::string> {
    const auto it = md.find(key);
    if (it == md.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw PermanentError(std::string("job metadata \"") + key + "\" is not a string");
    return it->get<std::string>();
  };
  auto uid = str("userId");
  if (!uid) uid = job_user;
  if (!uid) throw PermanentError("job metadata lacks \"userId\"");
  s.user_id = *uid;
  const auto date = str("briefDate");
  if (!date) throw PermanentError("job metadata lacks \"briefDate\"");
  try {
    brief::validate_date(*date);
  } catch (const Error& e) {
    throw PermanentError(std::string("job metadata: ") + e.what());
  }
  s.brief_date = *date;
  s.timezone = str("timezone");
  const auto it = md.find("options");
  if (it != md.end() && it->is_object()) {
    const json& o = *it;
    if (o.contains("isReengagement") && o["isReengagement"].is_boolean()) {
      s.is_reengagement = o["isReengagement"].get<bool>();
    }
    if (o.contains("daysSinceLastLogin") && o["daysSinceLastLogin"].is_number()) {
      // Clamped as a double first: converting one outside int's range (say
      // 1e300) to int is undefined behaviour, and no absence that counts is
      // longer than a century.
      const double days = o["daysSinceLastLogin"].get<double>();
      s.days_since_last_login = days > 0 ? static_cast<int>(std::min(days, 36500.0)) : 0;
    }
    if (o.contains("forceRegenerate") && o["forceRegenerate"].is_boolean()) {
      s.force = o["forceRegenerate"].get<bool>();
    }
    if (o.contains("holdEmail") && o["holdEmail"].is_boolean()) {
      s.hold_email = o["holdEmail"].get<bool>();
    }
  }
  return s;
}

}  // namespace briefos::generate
