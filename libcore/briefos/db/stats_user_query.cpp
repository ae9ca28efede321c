// SPDX-License-Identifier: MIT
//
// The user report's reads (see stats_queries.hpp; the transaction and day
// policy is in stats_queries.cpp). The user is found by id when the
// argument is a UUID, else by email, case-insensitive; every value is a
// bound parameter, the job types too (from jobs.hpp). Six statements in
// one snapshot: the user with its preferences, the briefs of the window
// (chosen once the user's zone is known, stats::user_window), their
// daily-brief emails with the recipient, the recent brief and email jobs,
// the address's suppression and the user's latest daily-brief email. The
// jobs' lower bound is computed here with the tz database, so no zone
// reaches PostgreSQL (whose tz database can differ).
#include "briefos/db/stats_queries.hpp"

#include "briefos/db/detail/stats_read.hpp"
#include "briefos/jobs.hpp"
#include "briefos/mail/reply.hpp"
#include "briefos/schedule.hpp"
#include "briefos/stats/user_report.hpp"
#include "briefos/util/text.hpp"

#include <map>
#include <vector>

namespace briefos::db::stats_queries {

using namespace detail;

namespace {

// A user id as PostgreSQL prints it, or the same 32 digits without the
// hyphens (PostgreSQL reads both); anything else is an email address.
bool is_user_id(const std::string& s) {
  if (util::is_uuid(s)) return true;
  if (s.size() != 32) return false;
  std::string hyphenated = s;
  for (const std::size_t at : {20U, 16U, 12U, 8U}) hyphenated.insert(at, "-");
  return util::is_uuid(hyphenated);
}

// The user `id_or_email` names with their preferences; UsageError if none.
stats::UserInfo find_user(pqxx::transaction_base& tx, const std::string& id_or_email) {
  const bool by_id = is_user_id(id_or_email);
  const std::string sql = std::string(R"(
  SELECT u.id::text AS id, u.email, u.name,
         p.user_id IS NOT NULL AS has_prefs, p.timezone,
         to_char(p.time_of_day, 'HH24:MI') AS time_of_day,
         COALESCE(p.is_active, false) AS is_active,
         COALESCE(p.email_daily_brief, false) AS email_daily_brief,
         COALESCE(p.frequency, '') AS frequency, p.day_of_week,
         COALESCE(to_char(p.time_of_day, 'HH24:MI:SS'), '') AS schedule_time
    FROM users u
    LEFT JOIN user_brief_preferences p ON p.user_id = u.id
   WHERE )") + (by_id ? "u.id = $1::uuid" : "lower(u.email) = lower($1)");
  const pqxx::result found = tx.exec_params(sql, id_or_email);
  if (found.empty()) {
    throw UsageError("unknown user \"" + id_or_email + "\"",
                     "Give a user id (UUID) or the user's email address.");
  }
  const pqxx::row u = found[0];
  stats::UserInfo info;
  info.id = u["id"].c_str();
  info.email = u["email"].c_str();
  info.name = opt_text(u["name"]);
  info.has_preferences = u["has_prefs"].as<bool>();
  info.timezone = opt_text(u["timezone"]);
  info.time_of_day = opt_text(u["time_of_day"]);
  info.is_active = u["is_active"].as<bool>();
  info.email_daily_brief = u["email_daily_brief"].as<bool>();
  info.frequency = u["frequency"].c_str();
  if (!u["day_of_week"].is_null()) info.day_of_week = u["day_of_week"].as<int>();
  info.schedule_time = u["schedule_time"].c_str();
  return info;
}

// The columns of a daily-brief email `e` and its recipient `er`, as
// read_email reads them.
constexpr const char* email_columns = R"(
         e.id::text AS id, e.status,
         (EXTRACT(EPOCH FROM e.created_at) * 1000000)::bigint AS created_at,
         (EXTRACT(EPOCH FROM COALESCE(er.sent_at, e.sent_at)) * 1000000)::bigint AS sent_at,
         e.error_message, er.recipient_email, er.status AS recipient_status,
         (EXTRACT(EPOCH FROM er.opened_at) * 1000000)::bigint AS opened_at,
         COALESCE(er.open_count, 0) AS open_count, er.error_message AS recipient_error,
         COALESCE(er.smtp_reply, e.smtp_reply)::text AS smtp_reply)";

stats::UserEmail read_email(const pqxx::row& r) {
  stats::UserEmail m;
  m.id = r["id"].c_str();
  m.status = r["status"].c_str();
  m.created_at = to_time(r["created_at"]);
  m.sent_at = opt_time(r["sent_at"]);
  m.error = opt_text(r["error_message"]);
  m.recipient = opt_text(r["recipient_email"]);
  m.recipient_status = opt_text(r["recipient_status"]);
  m.opened_at = opt_time(r["opened_at"]);
  m.open_count = r["open_count"].as<long long>();
  m.recipient_error = opt_text(r["recipient_error"]);
  if (const auto reply = opt_text(r["smtp_reply"])) {
    m.relay_reply = mail::Reply::from_json(nlohmann::json::parse(*reply, nullptr, false)).describe();
  }
  return m;
}

// The user's briefs of the window, newest first.
std::vector<stats::UserBrief> load_briefs(pqxx::transaction_base& tx, const std::string& user_id,
                                          const stats::UserWindow& w) {
  std::vector<stats::UserBrief> briefs;
  const char* briefs_sql = R"(
  SELECT b.id::text AS id, to_char(b.brief_date, 'YYYY-MM-DD') AS brief_date,
         b.generation_status,
         (EXTRACT(EPOCH FROM b.generation_completed_at) * 1000000)::bigint AS completed_at,
         EXTRACT(EPOCH FROM (b.generation_completed_at - b.generation_started_at))::float8 AS took,
         b.generation_error, b.is_empty, b.llm_status, b.project_count, b.failed_project_count
    FROM daily_briefs b
   WHERE b.user_id = $1::uuid AND b.brief_date BETWEEN $2::date AND $3::date
   ORDER BY b.brief_date DESC)";
  for (const auto& r : tx.exec_params(briefs_sql, user_id, w.from, w.ahead)) {
    stats::UserBrief b;
    b.id = r["id"].c_str();
    b.brief_date = r["brief_date"].c_str();
    b.status = r["generation_status"].c_str();
    b.completed_at = opt_time(r["completed_at"]);
    b.generation_seconds = opt_double(r["took"]);
    b.error = opt_text(r["generation_error"]);
    b.is_empty = r["is_empty"].as<bool>();
    b.llm_status = opt_text(r["llm_status"]);
    b.project_count = r["project_count"].as<long long>();
    b.failed_project_count = r["failed_project_count"].as<long long>();
    briefs.push_back(b);
  }
  return briefs;
}

// Each brief's daily-brief emails with their recipient, oldest first.
void load_emails(pqxx::transaction_base& tx, const std::string& user_id, const stats::UserWindow& w,
                 std::vector<stats::UserBrief>& briefs) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < briefs.size(); ++i) index[briefs[i].id] = i;
  // Emails are linked to their brief by template_data->>'brief_id' (the
  // BuildOS shape), which emails_daily_brief_id_idx (0008) serves.
  const std::string emails_sql = std::string(R"(
  SELECT b.id::text AS brief_id,)") + email_columns + R"(
    FROM daily_briefs b
    JOIN emails e ON e.category = 'daily_brief'
                 AND e.template_data->>'brief_id' = b.id::text
    LEFT JOIN email_recipients er ON er.email_id = e.id
   WHERE b.user_id = $1::uuid AND b.brief_date BETWEEN $2::date AND $3::date
   ORDER BY e.created_at, er.created_at)";
  for (const auto& r : tx.exec_params(emails_sql, user_id, w.from, w.ahead)) {
    briefs[index.at(r["brief_id"].c_str())].emails.push_back(read_email(r));
  }
}

// The user's latest daily-brief email, whatever its date (the index on
// emails (created_by, created_at)), with the date of its brief.
void load_last_email(pqxx::transaction_base& tx, stats::UserReport& report) {
  const std::string sql = std::string("SELECT to_char(b.brief_date, 'YYYY-MM-DD') AS brief_date,") + email_columns
                          + R"(
    FROM emails e
    LEFT JOIN email_recipients er ON er.email_id = e.id
    LEFT JOIN daily_briefs b ON b.user_id = e.created_by AND b.id::text = e.template_data->>'brief_id'
   WHERE e.created_by = $1::uuid AND e.category = 'daily_brief'
   ORDER BY e.created_at DESC, er.created_at DESC
   LIMIT 1)";
  const pqxx::result r = tx.exec_params(sql, report.user.id);
  if (r.empty()) return;
  report.last_email = read_email(r[0]);
  report.last_email_brief_date = opt_text(r[0]["brief_date"]);
}

// The user's address in email_suppressions (stored lower-case).
std::optional<stats::Suppression> load_suppression(pqxx::transaction_base& tx, const std::string& email) {
  const pqxx::result r = tx.exec_params(R"(
  SELECT reason, detail, (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint AS since
    FROM email_suppressions WHERE email = lower($1))", email);
  if (r.empty()) return std::nullopt;
  return stats::Suppression{r[0]["reason"].c_str(), opt_text(r[0]["detail"]), to_time(r[0]["since"])};
}

// The user's brief and email jobs created since the window's first day,
// newest first, at most 50.
std::vector<stats::UserJob> load_jobs(pqxx::transaction_base& tx, const std::string& user_id,
                                     const stats::UserWindow& w) {
  std::vector<stats::UserJob> jobs;
  const char* jobs_sql = R"(
  SELECT id, job_type::text AS job_type, status::text AS status, attempts, max_attempts,
         (EXTRACT(EPOCH FROM scheduled_for) * 1000000)::bigint AS scheduled_for,
         (EXTRACT(EPOCH FROM completed_at) * 1000000)::bigint AS completed_at,
         COALESCE(metadata->>'brief_date', metadata->>'briefDate') AS brief_date,
         error_message
    FROM queue_jobs
   WHERE user_id = $1::uuid
     AND job_type IN ($3, $4)
     AND created_at >= to_timestamp($2::bigint)
   ORDER BY created_at DESC, id DESC
   LIMIT 50)";
  // Local midnight of the window's first day in the zone of its dates.
  const auto day = util::parse_date(w.from);
  const auto midnight = day ? schedule::resolve_local(w.date_zone, *day, {}) : std::nullopt;
  const std::int64_t since = midnight ? midnight->time_since_epoch().count() : 0;
  for (const auto& r : tx.exec_params(jobs_sql, user_id, since, jobs::brief_type, jobs::email_type)) {
    stats::UserJob j;
    j.id = r["id"].as<long long>();
    j.job_type = r["job_type"].c_str();
    j.status = r["status"].c_str();
    j.attempts = r["attempts"].as<int>();
    j.max_attempts = r["max_attempts"].as<int>();
    j.scheduled_for = to_time(r["scheduled_for"]);
    j.completed_at = opt_time(r["completed_at"]);
    j.brief_date = opt_text(r["brief_date"]);
    j.error = opt_text(r["error_message"]);
    jobs.push_back(j);
  }
  return jobs;
}

}  // namespace

Snapshot<stats::UserReport> user(Session& session, const std::string& id_or_email,
                                 const stats::UserWindowRequest& request) {
  ReadTx rt{session};
  Snapshot<stats::UserReport> out;
  out.as_of = rt.now();
  stats::UserReport& report = out.report;
  report.user = find_user(rt.tx(), id_or_email);
  report.window = stats::user_window(report.user, out.as_of, request);
  const std::string& id = report.user.id;
  report.briefs = load_briefs(rt.tx(), id, report.window);
  load_emails(rt.tx(), id, report.window, report.briefs);
  report.jobs = load_jobs(rt.tx(), id, report.window);
  report.suppression = load_suppression(rt.tx(), report.user.email);
  load_last_email(rt.tx(), report);
  return out;
}

Snapshot<stats::UserReport> user(Session& session, const std::string& id_or_email, const Window& w) {
  return user(session, id_or_email, stats::UserWindowRequest{w.days, w.until, w.zone, w.zone});
}

}  // namespace briefos::db::stats_queries
