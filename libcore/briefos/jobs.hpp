// SPDX-License-Identifier: MIT
#pragma once

// The one home of what a briefos job is: its type name, dedup key,
// priority and attempts, for the brief job (one per user and local date)
// and the email job (one per email). Every program and every SQL statement
// that makes or finds such a job takes these from here (SQL as bound
// parameters), so changing a key or a priority is a change of this file.

#include "briefos/db/queue.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace briefos::jobs {

inline constexpr const char* brief_type = "generate_daily_brief";
inline constexpr const char* email_type = "generate_brief_email";

// Lower runs first: an email already built goes out before the next brief
// is built.
inline constexpr int brief_priority = 10;
inline constexpr int email_priority = 5;
inline constexpr int brief_max_attempts = 3;
inline constexpr int email_max_attempts = 3;

// The brief job's dedup key is brief_key_prefix + user id + "-" + date, so
// one (user, local date) has one active job. SQL builds it from these two
// parts, passed as parameters.
inline constexpr const char* brief_key_prefix = "brief-";
inline constexpr const char* brief_key_separator = "-";
std::string brief_key(const std::string& user_id, const std::string& brief_date);

// A forced regeneration must not meet the active job's key: it gets its own
// (the active one is cancelled first).
std::string forced_brief_key(const std::string& user_id, const std::string& brief_date, long long unique_ms);

// One active job per email.
std::string email_key(const std::string& email_id);

// A generate_daily_brief job for (user, local date) in `timezone`, with the
// job's options object (forceRegenerate, isReengagement, ...).
queue::NewJob brief_job(const std::string& user_id, const std::string& brief_date,
                        const std::string& timezone, nlohmann::json options = nlohmann::json::object());

// The generate_brief_email job of a stored email.
queue::NewJob email_job(const std::string& email_id, const std::string& user_id, const std::string& brief_id);

}  // namespace briefos::jobs
