// SPDX-License-Identifier: MIT
#pragma once

// The reports of briefos-stats as plain structs, and their rendering as an
// aligned table, JSON, CSV, Prometheus text exposition or an HTML page. Pure:
// no database, no I/O; stats_queries fills the structs, stats_command prints.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace briefos::stats {

using Clock = std::chrono::system_clock;
using Time = std::chrono::time_point<Clock, std::chrono::microseconds>;

enum class Format { table, json, csv, prometheus, html };

// `name` ("table", "json", ...) as a Format; nullopt if unknown.
std::optional<Format> parse_format(const std::string& name);
std::string to_string(Format format);

// --- Input helpers ---------------------------------------------------------

// A duration like "90", "90s", "15m", "2h", "1d" or "1h30m" in seconds;
// nullopt if `text` is not one.
std::optional<double> parse_duration(const std::string& text);

// `seconds` for people: "0.42s", "12.3s", "4m 05s", "3h 07m", "2d 04h";
// "-" when absent.
std::string format_duration(std::optional<double> seconds);

// The name of the operator's zone: $TZ when it names a zone, else the
// system zone (/etc/localtime), else "UTC".
std::string default_zone();

// True if `zone` is in the system tz database.
bool is_valid_zone(const std::string& zone);

// The calendar date ("YYYY-MM-DD") of `at` in `zone`.
std::string local_date(Time at, const std::string& zone);

// The `days` dates ending at `until` (inclusive), oldest first.
// Throws UsageError if `until` is not a valid YYYY-MM-DD date.
std::vector<std::string> date_range(const std::string& until, int days);

// `at` in `zone` as "2025-03-10 09:05:00 CET" (human) or ISO 8601 with the
// offset, "2025-03-10T09:05:00+01:00" (machine).
std::string format_time_human(Time at, const std::string& zone);
std::string format_time_iso(Time at, const std::string& zone);

// --- Reports ---------------------------------------------------------------

// What every report carries: which report, when, in which zone, which days.
struct Meta {
  std::string report;        // emails, briefs, queue, user, health
  Time generated_at{};
  std::string zone;
  int days = 0;              // 0 for reports without a day window
  std::string from;          // first day of the window (YYYY-MM-DD)
  std::string until;         // last day of the window
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
  std::optional<std::string> time_of_day;
  bool is_active = false;
  bool email_daily_brief = false;
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
  std::vector<UserBrief> briefs;  // newest brief_date first
  std::vector<UserJob> jobs;      // newest first
};

// What happened to a brief's email, in one phrase ("sent, opened 2x",
// "cancelled: user opted out", "no email: not opted in", ...).
std::string email_outcome(const UserInfo& user, const UserBrief& brief);

// The raw numbers health thresholds are compared with.
struct HealthInputs {
  std::optional<double> oldest_due_seconds;  // nullopt: nothing due
  long long due = 0;
  long long finished_ok = 0;       // completed in the failure window
  long long finished_failed = 0;   // failed in the failure window
  std::optional<double> last_brief_age_seconds;  // nullopt: never
  long long active_users = 0;      // active brief preferences
  long long expired_leases = 0;
};

struct HealthThresholds {
  double max_queue_age_seconds = 15 * 60;
  double max_failure_rate = 0.1;
  double failure_window_seconds = 24 * 3600;
  double max_brief_age_seconds = 25 * 3600;
};

struct HealthCheck {
  std::string name;            // queue_age, failure_rate, brief_age, expired_leases
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

// --- Rendering -------------------------------------------------------------

struct RenderOptions {
  Format format = Format::table;
  bool chart = false;   // per-day bar column in tables
  int chart_width = 20;
};

// Render a report; the result ends with a newline. The user report has no
// Prometheus form: asking for it throws UsageError.
std::string render(const EmailReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const BriefReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const QueueReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const UserReport& report, const Meta& meta, const RenderOptions& options);
std::string render(const HealthReport& report, const Meta& meta, const RenderOptions& options);

// A bar of `value` relative to `max` in at most `width` cells of Unicode
// eighth blocks ("█▌"); "" for 0.
std::string bar(double value, double max, int width);

}  // namespace briefos::stats
