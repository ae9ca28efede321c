// SPDX-License-Identifier: MIT
#pragma once

// Reading what a brief is built from: the user with their brief
// preferences, and the user's active projects with the tasks, notes and
// phases a brief can show. A brief is always loaded as part of a batch
// (one brief is a batch of one), with one set-based statement per table
// for the whole batch.

#include "briefos/brief.hpp"
#include "briefos/db/session.hpp"

#include <optional>
#include <string>
#include <vector>

namespace briefos::db::brief_store {

// A user with their brief preferences (if they have a row).
struct UserInfo {
  brief::User user;
  bool has_preferences = false;
  std::string timezone = "UTC";  // preferences.timezone, else UTC
  bool email_daily_brief = false;
  bool preferences_active = false;
};

// Everything one brief is built from.
struct BriefSource {
  UserInfo user;
  std::string timezone;  // preferences, else the job's zone, else UTC
  std::vector<brief::Project> projects;
};

// One brief to load.
struct SourceRequest {
  std::string user_id;
  std::optional<std::string> fallback_zone;  // the job's zone
  std::string brief_date;
};

// What load_sources made of one request: `source`, nothing for a user who
// does not exist, or `error` for a brief that cannot be loaded as it is (an
// unknown zone: never a silent UTC).
struct LoadedSource {
  std::optional<BriefSource> source;
  std::string error;
};

// Load the sources of `requests` as of `now`: five statements for the
// whole batch (users, projects, tasks, notes, phases, each with array
// parameters), outside any transaction (under READ COMMITTED each statement
// has its own snapshot anyway). The zone of a brief is the user's
// preference, else the request's fallback, else UTC. Only what a brief can
// show is read: done tasks completed since the day before the brief's
// moment, notes of the last 7 days (at most `notes_per_project` per
// project), phases covering the brief date. One result per request, in
// order; a user who is in the batch twice (two dates) is loaded twice.
std::vector<LoadedSource> load_sources(Session& session,
                                       const std::vector<SourceRequest>& requests,
                                       brief::TimePoint now,
                                       int notes_per_project);

// The user named by `id_or_email` (a uuid, or an email address compared
// case-insensitively), or nullopt; in its own read-only transaction.
std::optional<UserInfo> find_user(Session& session, const std::string& id_or_email);

}  // namespace briefos::db::brief_store
