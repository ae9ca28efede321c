// SPDX-License-Identifier: MIT
// Job construction: see jobs.hpp.
#include "briefos/jobs.hpp"

namespace briefos::jobs {

std::string brief_key(const std::string& user_id, const std::string& brief_date) {
  return brief_key_prefix + user_id + brief_key_separator + brief_date;
}

std::string forced_brief_key(const std::string& user_id, const std::string& brief_date, long long unique_ms) {
  return brief_key(user_id, brief_date) + "-force-" + std::to_string(unique_ms);
}

std::string email_key(const std::string& email_id) { return "email-" + email_id; }

queue::NewJob brief_job(const std::string& user_id, const std::string& brief_date,
                        const std::string& timezone, nlohmann::json options) {
  queue::NewJob job;
  job.type = brief_type;
  job.user_id = user_id;
  job.priority = brief_priority;
  job.max_attempts = brief_max_attempts;
  job.metadata = {{"userId", user_id},
                  {"briefDate", brief_date},
                  {"timezone", timezone},
                  {"options", std::move(options)}};
  job.dedup_key = brief_key(user_id, brief_date);
  return job;
}

queue::NewJob email_job(const std::string& email_id, const std::string& user_id, const std::string& brief_id) {
  queue::NewJob job;
  job.type = email_type;
  job.user_id = user_id;
  job.priority = email_priority;
  job.max_attempts = email_max_attempts;
  job.dedup_key = email_key(email_id);
  job.metadata = {{"emailId", email_id}, {"userId", user_id}, {"briefId", brief_id}};
  return job;
}

}  // namespace briefos::jobs
