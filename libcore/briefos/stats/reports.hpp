// SPDX-License-Identifier: MIT
#pragma once

// The reports of briefos-stats as plain structs: what each report (emails,
// briefs, queue, user) holds, filled by db/stats_queries and shown by the
// renderers, plus the one judgement the user report makes per brief, what
// became of its email. The health report lives in health.hpp, the user
// report's window and diagnosis in user_report.hpp. Pure: no database, no
// I/O.

#include "briefos/stats/time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace briefos::stats {

// What every report carries: which report, when, in which zone, which days.
struct Meta {
  std::string report;        // emails, briefs, queue, user, health
  Time generated_at{};
  std::string zone;
  int days = 0;              // 0 for reports without a day window
  std::string from;          // first day of the window (YYYY-MM-DD)
  std::string until;         // last day of the window
  std::string ahead;         // user report: the day after `until`, also covered
  std::string zone_source;   // user report: whose zone (see UserWindow)
};

// Daily-brief emails created on one day (or in the whole window), with the
// definitions of the brief_email_stats view: one count per recipient row
// (a brief email has exactly one recipient).
struct EmailDay {
  std::string date;          // empty for the window total
  long long total = 0;
  long long sent = 0;
  long long failed = 0;
  long long pending = 0;
  long long cancelled = 0;
  long long opened = 0;      // recipients with opened_at set
  std::optional<double> avg_send_seconds;  // created_at -> recipient sent_at
  std::optional<double> p95_send_seconds;
  double sum_send_seconds = 0;
  long long send_samples = 0;              // recipients with sent_at
  // opened / sent; nullopt when nothing was sent.
  std::optional<double> open_rate() const;
};

// Sent and opened per subject variant (nullopt: emails without a variant),
// per day or (empty date) over the window.
struct EmailVariant {
  std::string date;
  std::optional<std::string> variant;
  long long sent = 0;
  long long opened = 0;
  std::optional<double> open_rate() const;
};

struct EmailReport {
  std::vector<EmailDay> days;  // every day of the window, oldest first
  EmailDay total;
  bool by_variant = false;
  std::vector<EmailVariant> variants;        // per day and variant
  std::vector<EmailVariant> variant_totals;  // per variant over the window
};

// daily_briefs of one brief_date (or the window).
struct BriefDay {
  std::string date;
  long long total = 0;       // rows, whatever their status
  long long generated = 0;   // generation_status completed
  long long failed = 0;      // generation_status failed
  long long empty = 0;       // is_empty
  long long with_llm = 0;    // llm_status ok or llm_analysis present
  std::optional<double> avg_generation_seconds;
  std::optional<double> p95_generation_seconds;
  double sum_generation_seconds = 0;
  long long generation_samples = 0;
  std::optional<double> avg_projects;  // project_count of generated briefs
};

struct BriefReport {
  std::vector<BriefDay> days;
  BriefDay total;
};

// One job type of queue_jobs.
struct QueueType {
  std::string job_type;
  long long pending = 0;
  long long processing = 0;
  long long retrying = 0;
  long long completed = 0;
  long long failed = 0;
  long long cancelled = 0;
  long long due = 0;          // pending with scheduled_for <= now
  long long expired = 0;      // processing with locked_until < now
  long long failed_24h = 0;   // failed, finished in the last 24 hours
  std::optional<double> oldest_due_seconds;  // now - min(scheduled_for) of due jobs
};

// A frequent error message among the jobs that failed in the last 24 hours.
struct QueueError {
  std::string job_type;
  std::string message;
  long long count = 0;
  std::optional<Time> last_seen;
};

struct QueueReport {
  std::vector<QueueType> types;    // by job type name
  std::vector<QueueError> errors;  // per type, most common first
};

struct UserInfo {
  std::string id;
  std::string email;
  std::optional<std::string> name;
  bool has_preferences = false;
  std::optional<std::string> timezone;
  std::optional<std::string> time_of_day;   // HH:MM, as shown
  bool is_active = false;
  bool email_daily_brief = false;
  std::string frequency;                    // daily, weekly, custom
  std::optional<int> day_of_week;           // 0 = Sunday
  std::string schedule_time;                // HH:MM:SS, what the schedule runs on
};

// The user's address in email_suppressions.
struct Suppression {
  std::string reason;                 // unsubscribed, hard_bounce, complaint, manual
  std::optional<std::string> detail;
  Time since{};
};

// The zone and the brief dates of a user report (stats/user_report.hpp).
struct UserWindow {
  std::string zone;         // times are shown in it
  std::string zone_source;  // "user" (the default), "tz" (--tz), "fallback" (no valid zone of the user's)
  std::string date_zone;    // the zone of its dates: the user's when valid, else `zone`
  std::string from;         // first brief date
  std::string until;        // last of the `days` dates
  std::string ahead;        // the day after `until`, covered too
  int days = 0;
};

// One daily-brief email and its recipient.
struct UserEmail {
  std::string id;
  std::string status;
  Time created_at{};
  std::optional<Time> sent_at;
  std::optional<std::string> recipient;
  std::optional<std::string> recipient_status;
  std::optional<Time> opened_at;
  long long open_count = 0;
  std::optional<std::string> error;            // emails.error_message
  std::optional<std::string> recipient_error;  // email_recipients.error_message
  std::optional<std::string> relay_reply;      // emails.smtp_reply, described
};

struct UserBrief {
  std::string id;
  std::string brief_date;
  std::string status;        // generation_status
  std::optional<Time> completed_at;
  std::optional<double> generation_seconds;
  std::optional<std::string> error;  // generation_error
  bool is_empty = false;
  std::optional<std::string> llm_status;
  long long project_count = 0;
  long long failed_project_count = 0;
  std::vector<UserEmail> emails;  // oldest first
};

// A recent queue job of the user (brief and email jobs).
struct UserJob {
  long long id = 0;
  std::string job_type;
  std::string status;
  int attempts = 0;
  int max_attempts = 0;
  Time scheduled_for{};
  std::optional<Time> completed_at;
  std::optional<std::string> brief_date;
  std::optional<std::string> error;
};

struct UserReport {
  UserInfo user;
  UserWindow window;
  std::vector<UserBrief> briefs;  // newest brief_date first
  std::vector<UserJob> jobs;      // newest first
  std::optional<Suppression> suppression;
  std::optional<UserEmail> last_email;             // the user's latest daily-brief email, any date
  std::optional<std::string> last_email_brief_date;  // the date of its brief
};

// What happened to a brief's email, in one phrase ("sent, opened 2x",
// "cancelled: user opted out", "no email: not opted in", ...).
std::string email_outcome(const UserInfo& user, const UserBrief& brief);

}  // namespace briefos::stats
