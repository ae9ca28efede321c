// SPDX-License-Identifier: MIT
#pragma once

// The reads of briefos-stats: one function per report, each filling the
// report's plain struct (stats/reports.hpp, stats/health.hpp) from one
// consistent snapshot. The SQL and its policy are in stats_queries.cpp
// (emails, briefs, queue, health) and stats_user_query.cpp (user).

#include "briefos/db/session.hpp"
#include "briefos/stats/health.hpp"
#include "briefos/stats/reports.hpp"
#include "briefos/stats/user_report.hpp"

#include <string>

namespace briefos::db::stats_queries {

// A report read at one instant: `as_of` is the database's now() of the
// report's transaction, which every age in the report is relative to.
template <typename Report>
struct Snapshot {
  Report report;
  stats::Time as_of{};
};

// The day window of emails/briefs: the `days` dates `from`..`until`
// (YYYY-MM-DD, inclusive) in IANA `zone`.
struct Window {
  std::string from;
  std::string until;
  int days = 7;
  std::string zone;
};

// Each function below runs in one read-only REPEATABLE READ transaction of
// its own on `session` (one consistent snapshot per report), with a short
// lock_timeout so it never queues behind a migration for long. None writes.
// A zone the database server does not know throws UsageError (it is the
// operator's --tz).

// Daily-brief emails per day of `window` (every day present, oldest first),
// with the window total; with `by_variant` also sent/opened per variant.
Snapshot<stats::EmailReport> emails(Session& session, const Window& window, bool by_variant);

// daily_briefs per brief_date of `window`, with the window total.
Snapshot<stats::BriefReport> briefs(Session& session, const Window& window);

// queue_jobs per job type, and the `top` most common error messages per job
// type among jobs that failed in the last 24 hours.
Snapshot<stats::QueueReport> queue(Session& session, int top);

// One user, found by id (a UUID) or by email (case-insensitive), with the
// window stats::user_window picks for `request` (the user's zone and local
// dates unless --tz), the briefs of its dates and the day ahead
// (brief_date), their daily-brief emails and recipients, the user's brief
// and email jobs created since the window's start, the address's
// suppression and the user's latest daily-brief email. Throws UsageError
// if no such user exists (`id_or_email` is the operator's argument).
Snapshot<stats::UserReport> user(Session& session, const std::string& id_or_email,
                                 const stats::UserWindowRequest& request);

// The same with the dates and zone of `window` (times shown in its zone).
Snapshot<stats::UserReport> user(Session& session, const std::string& id_or_email, const Window& window);

// The numbers the health checks compare; `failure_window_seconds` is the
// period the failure rate is measured over.
Snapshot<stats::HealthInputs> health(Session& session, double failure_window_seconds);

}  // namespace briefos::db::stats_queries
